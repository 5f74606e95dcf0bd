"""The two .debs as `installers/linux/build-debs.sh` lays them out, built from stand-in bundles
in a few seconds (make package-test builds the real bundles, installs and purges them): where
each file goes, with which mode, and what the control files say."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_DEBS = ROOT / "installers" / "linux" / "build-debs.sh"


@dataclass(frozen=True)
class Debs:
    client: Path
    server: Path


def run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def debs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Debs]:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    tmp = tmp_path_factory.mktemp("debs")
    dist = tmp / "dist"
    for name in ("communicator", "communicator-server"):
        (dist / name / "_internal").mkdir(parents=True)
        executable = dist / name / name
        executable.write_text("#!/bin/sh\nexit 0\n")
        executable.chmod(0o755)
    built = run(BUILD_DEBS, "-Z", "zstd", dist, tmp / "out").split()
    (client,) = [Path(p) for p in built if Path(p).name.startswith("communicator_")]
    (server,) = [Path(p) for p in built if Path(p).name.startswith("communicator-server_")]
    yield Debs(client, server)


def contents(deb: Path) -> dict[str, str]:
    """Path -> the ``dpkg-deb -c`` line (mode, owner, size, date, path [-> target])."""
    listed: dict[str, str] = {}
    for line in run("dpkg-deb", "-c", deb).splitlines():
        path = line.split(maxsplit=5)[5].split(" -> ")[0].removeprefix(".")
        listed[path.rstrip("/") or "/"] = line
    return listed


def test_the_client_package_holds_the_application_and_its_desktop_parts(debs: Debs) -> None:
    files = contents(debs.client)
    assert files["/opt/communicator/communicator"].startswith("-rwxr-xr-x root/root")
    assert files["/usr/bin/communicator"].endswith("-> /opt/communicator/communicator")
    for path in (
        "/usr/share/applications/communicator.desktop",
        "/usr/share/icons/hicolor/scalable/apps/communicator.svg",
        "/usr/share/metainfo/com.communicator.Communicator.metainfo.xml",
    ):
        assert files[path].startswith("-rw-r--r-- root/root"), path
    depends = run("dpkg-deb", "-f", debs.client, "Depends")
    assert "libportaudio2" in depends and "debconf" in depends


def test_the_server_settings_are_readable_by_root_only(debs: Debs) -> None:
    # server.env holds the database URL, which may carry a password (postgresql://user:pw@...):
    # systemd reads it as root before it starts the service as its own user.
    files = contents(debs.server)
    assert files["/etc/communicator-server/server.env"].startswith("-rw------- root/root")
    conffiles = run("dpkg-deb", "--info", debs.server, "conffiles")
    assert conffiles.split() == ["/etc/communicator-server/server.env"]
    assert files["/lib/systemd/system/communicator-server.service"].startswith("-rw-r--r--")


CLIENT_SCRIPTS = ROOT / "installers" / "linux" / "client"


def in_private_root(tmp_path: Path, script: str) -> str:
    """Runs ``script`` (sh) as root in a mount namespace of its own, where /etc and debconf's
    database are overlays in ``tmp_path``: the maintainer scripts run for real, the machine's
    files stay as they are. The client's scripts are there as dpkg keeps them
    (``$PKG/communicator.config``, ``.postinst``, ``.templates``)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (a private mount namespace)")
    if shutil.which("debconf-set-selections") is None:
        pytest.skip("debconf is not installed")
    package = tmp_path / "pkg"
    package.mkdir()
    for name in ("config", "postinst", "templates"):
        target = package / f"communicator.{name}"
        shutil.copy(CLIENT_SCRIPTS / name, target)
        target.chmod(0o755)
    mounts = ""
    for directory in ("/etc", "/var/cache/debconf"):
        layer = tmp_path / directory.strip("/").replace("/", "-")
        (layer / "upper").mkdir(parents=True)
        (layer / "work").mkdir()
        mounts += (
            f"mount -t overlay overlay -o lowerdir={directory},upperdir={layer}/upper,"
            f"workdir={layer}/work {directory}\n"
        )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-e", "-c", mounts + script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PKG": str(package)},
    )
    if done.returncode and "overlay" in done.stderr:
        pytest.skip(f"no overlay mounts here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    return done.stdout


CONFIGURE = (
    '"$PKG/communicator.config" configure {old}; "$PKG/communicator.postinst" configure {old}\n'
)
SETTINGS = "grep -v '^#' /etc/communicator/config.toml\n"


def test_the_preseeded_answers_become_the_system_configuration(tmp_path: Path) -> None:
    out = in_private_root(
        tmp_path,
        "printf '%s\\n' 'communicator communicator/server_url string https://pbx.example.com'"
        " 'communicator communicator/allow_server_change boolean false' | debconf-set-selections\n"
        + CONFIGURE.format(old="")
        + SETTINGS,
    )
    assert out.splitlines() == [
        'server_url = "https://pbx.example.com"',
        "allow_server_change = false",
    ]


def test_a_hand_edited_system_configuration_survives_an_upgrade(tmp_path: Path) -> None:
    # IT edits the file on a workstation (lets agents change the server, drops the preset
    # URL): the next upgrade's maintainer scripts must write back what the file says.
    out = in_private_root(
        tmp_path,
        "printf '%s\\n' 'communicator communicator/server_url string https://pbx.example.com'"
        " 'communicator communicator/allow_server_change boolean false' | debconf-set-selections\n"
        + CONFIGURE.format(old="")
        + "printf 'allow_server_change = true\\n' >/etc/communicator/config.toml\n"
        + CONFIGURE.format(old="0.1.0")
        + SETTINGS,
    )
    assert out.splitlines() == ["allow_server_change = true"]
