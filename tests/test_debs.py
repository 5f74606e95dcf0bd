"""The two .debs as `installers/linux/build-debs.sh` lays them out, built from stand-in bundles
in a few seconds (make package-test builds the real bundles, installs and purges them): where
each file goes, with which mode, and what the control files say."""

from __future__ import annotations

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
