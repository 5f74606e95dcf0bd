"""The installers' sources that can be checked without building a package (make package-test
builds, installs and purges the real .debs): the Linux desktop entry and AppStream metainfo
with their validators, the MSI source built by wixl and its tables, and the macOS MDM profile
read back the way the client reads the managed preference."""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
from pathlib import Path

from communicator.provisioning.settings import system_config_from_plist

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"
SCHEMES = ("sip", "sips", "tel", "callto")


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=120, check=False
    )


def test_desktop_entry_is_valid_and_handles_the_call_links() -> None:
    desktop = INSTALLERS / "linux" / "client" / "communicator.desktop"
    result = run("desktop-file-validate", desktop)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(desktop, encoding="utf-8")
    section = entry["Desktop Entry"]
    mime_types = {m for m in section["MimeType"].split(";") if m}
    assert mime_types == {f"x-scheme-handler/{s}" for s in SCHEMES}
    assert section["Exec"] == "/usr/bin/communicator %u"  # the link reaches the command line


def test_appstream_metainfo_is_valid(tmp_path: Path) -> None:
    source = INSTALLERS / "linux" / "client" / "com.communicator.Communicator.metainfo.xml"
    text = source.read_text(encoding="utf-8")
    metainfo = tmp_path / source.name
    metainfo.write_text(
        text.replace("@VERSION@", "0.1.0").replace("@DATE@", "2026-01-01"), encoding="utf-8"
    )
    result = run("appstreamcli", "validate", "--no-net", metainfo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '<launchable type="desktop-id">communicator.desktop</launchable>' in text


def test_msi_source_builds_with_wixl_and_holds_the_preset_and_protocols() -> None:
    assert shutil.which("wixl"), "wixl is in scripts/system-deps.txt"
    result = run(INSTALLERS / "windows" / "check-wxs.sh")
    assert result.returncode == 0, result.stdout + result.stderr
    for scheme in SCHEMES:
        assert f"ok: {scheme}: opens communicator.exe" in result.stdout
    assert "ok: PROVISIONING_URL written to HKLM ServerUrl" in result.stdout
    assert "ok: every registry value under HKLM" in result.stdout


def test_macos_profile_payload_is_what_the_client_reads(tmp_path: Path) -> None:
    profile = plistlib.loads(
        (INSTALLERS / "macos" / "com.communicator.Communicator.mobileconfig").read_bytes()
    )
    (payload,) = [
        p for p in profile["PayloadContent"] if p["PayloadType"] == "com.communicator.Communicator"
    ]
    assert profile["PayloadScope"] == "System"
    # macOS writes the payload's keys to the managed preference the client reads.
    managed = tmp_path / "com.communicator.Communicator.plist"
    managed.write_bytes(
        plistlib.dumps({k: v for k, v in payload.items() if not k.startswith("Payload")})
    )
    config = system_config_from_plist(managed)
    assert config.server_url == "https://pbx.example.com"
    assert config.ca_file == "/Library/Application Support/Communicator/ca.pem"


def test_one_spec_keeps_pjsua2_and_leaves_httpx_command_line_out() -> None:
    """The spec's own statements (a bundle is built by make package, not here)."""
    spec = (INSTALLERS / "communicator.spec").read_text(encoding="utf-8")
    for needed in ('"pjsua2.pjsua2"', '"pjsua2._pjsua2"', '"pjsua2_python.libs"'):
        assert needed in spec
    for left_out in ('"httpx._main"', '"rich"', '"pygments"', '"click"'):
        assert left_out in spec
    assert '"NSMicrophoneUsageDescription"' in spec
    assert '"CFBundleURLSchemes": ["sip", "sips", "tel", "callto"]' in spec


def test_pyinstallers_own_tools_are_installed_by_make() -> None:
    # PyInstaller on Linux exits at once without binutils' objdump ("objdump is required") and
    # appends each bundle's archive with objcopy: a fresh CI machine gets them from the list.
    listed = {
        line.split()[0]: line.split()[1]
        for line in (ROOT / "scripts" / "system-deps.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert listed.get("objdump") == "binutils"
    assert listed.get("objcopy") == "binutils"
