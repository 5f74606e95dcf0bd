"""The installers' sources that can be checked without building a package (make package-test
builds, installs and purges the real .debs): the Linux desktop entry and AppStream metainfo
with their validators, the MSI source built by wixl and its tables, and the macOS MDM profile
read back the way the client reads the managed preference."""

from __future__ import annotations

import configparser
import plistlib
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from communicator.provisioning.settings import (
    REGISTRY_VALUE_NAMES,
    WINDOWS_REGISTRY_KEY,
    system_config_from_plist,
    system_config_from_registry_values,
)

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


WIX = "{http://schemas.microsoft.com/wix/2006/wi}"


def msi_registry_writes(properties: dict[str, str]) -> dict[str, object]:
    """What the MSI writes under HKLM\\Software\\Communicator for the given public properties
    (msiexec ... PROVISIONING_URL=...), read from the .wxs: each RegistryValue's formatted
    Value with ``[PROPERTY]`` replaced as Windows Installer does (an unset property is empty)."""
    tree = ET.parse(INSTALLERS / "windows" / "communicator.wxs")
    written: dict[str, object] = {}
    for value in tree.iter(f"{WIX}RegistryValue"):
        if value.get("Root") != "HKLM" or value.get("Key") != WINDOWS_REGISTRY_KEY:
            continue
        name = value.get("Name")
        if name not in REGISTRY_VALUE_NAMES:
            continue
        assert value.get("Type") == "string", name  # REG_SZ: the reader gets a str
        written[name] = re.sub(
            r"\[([A-Z_]+)\]", lambda m: properties.get(m.group(1), ""), value.get("Value", "")
        )
    return written


@pytest.mark.parametrize(
    ("properties", "url", "ca", "locked"),
    [
        ({"PROVISIONING_URL": "https://prov.example.com"}, "https://prov.example.com", None, False),
        (
            {
                "PROVISIONING_URL": "https://prov.example.com",
                "CA_FILE": r"C:\ProgramData\Contoso\ca.pem",
                "ALLOW_SERVER_CHANGE": "0",
            },
            "https://prov.example.com",
            r"C:\ProgramData\Contoso\ca.pem",
            True,
        ),
        (
            {"PROVISIONING_URL": "https://p.example", "ALLOW_SERVER_CHANGE": "1"},
            "https://p.example",
            None,
            False,
        ),
        ({}, None, None, False),
    ],
    ids=["url", "url-ca-locked", "allowed", "nothing"],
)
def test_what_the_msi_writes_is_what_the_client_reads(
    properties: dict[str, str], url: str | None, ca: str | None, locked: bool
) -> None:
    written = msi_registry_writes(properties)
    assert set(written) == set(REGISTRY_VALUE_NAMES)  # every value the client reads is written
    config = system_config_from_registry_values(written)
    assert (config.server_url, config.ca_file, config.server_locked) == (url, ca, locked)
    assert config.source == r"HKLM\Software\Communicator"


def test_a_group_policy_dword_locks_the_server_too() -> None:
    # An administrator may set AllowServerChange as a DWORD by policy instead of the MSI's string.
    config = system_config_from_registry_values(
        {"ServerUrl": " https://prov.example.com ", "AllowServerChange": 0}
    )
    assert config.server_url == "https://prov.example.com" and config.server_locked
    assert not system_config_from_registry_values(
        {"ServerUrl": "https://prov.example.com", "AllowServerChange": 1, "CaFile": None}
    ).server_locked


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
