"""``communicator --selftest`` run as support runs it: a subprocess of the real command, against
a real provisioning server, the real Secret Service, a private PulseAudio and pjsua2."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.site import Site
from tests.rig.kamailio import generate_certificate
from tests.server.conftest import ROOT
from tests.sip.sound.pulse import PulseServer


def run_selftest(
    tmp_path: Path, config: str | None, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    system_config = tmp_path / "etc" / "config.toml"
    system_config.parent.mkdir(exist_ok=True)
    if config is not None:
        system_config.write_text(config, encoding="utf-8")
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COMMUNICATOR_SYSTEM_CONFIG": str(system_config),
        "COMMUNICATOR_CONFIG_DIR": str(tmp_path / "user-config"),
        "COMMUNICATOR_DATA_DIR": str(tmp_path / "user-data"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "communicator.app", "--selftest", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def lines_by_check(output: str) -> dict[str, str]:
    """``{check name: "status  detail"}`` from the one line each check prints."""
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        name, sep, detail = rest.partition(": ")
        if status.strip() in {"ok", "warn", "FAIL", "skip"} and sep:
            found[name.strip()] = f"{status.strip()}  {detail}"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.secret_service
def test_a_configured_workstation_passes_every_check(
    tmp_path: Path, site: Site, pulse: PulseServer
) -> None:
    cert, _key = generate_certificate(tmp_path / "ca")
    result = run_selftest(tmp_path, f'server_url = "{site.url}"\nca_file = "{cert}"\n')
    assert result.returncode == 0, result.stdout + result.stderr
    checks = lines_by_check(result.stdout)
    assert list(checks) == ["system configuration", "keyring", "audio", "SIP", "server"]
    assert checks["system configuration"].startswith("ok")
    assert site.url in checks["system configuration"]
    assert str(cert) in checks["system configuration"]
    assert checks["keyring"] == "ok  keyring.backends.SecretService.Keyring"
    assert checks["audio"].startswith("ok")
    assert "opened and closed" in checks["audio"]
    assert checks["SIP"].startswith("ok")
    assert "udp 127.0.0.1:" in checks["SIP"]
    assert "answered OPTIONS with 200 OK" in checks["SIP"]
    assert checks["server"].startswith(f"ok  {site.url} (system configuration) answered")
    assert result.stdout.rstrip().endswith("selftest: all 5 checks passed")


def test_an_unreachable_configured_server_fails_with_the_reason(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_selftest(tmp_path, f'server_url = "{url}"\n')
    assert result.returncode == 1
    checks = lines_by_check(result.stdout)
    assert checks["server"] == f"FAIL  {url} (system configuration) cannot be reached: " + (
        "Connection refused"
    )
    assert checks["SIP"].startswith("ok")  # the other checks still ran
    assert "check(s) failed:" in result.stdout
    assert result.stdout.rstrip().endswith("server")


@pytest.fixture
def some_other_web_server(tmp_path: Path) -> Iterator[str]:
    """A web server that is not a Communicator server (it has no /healthz)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_server_that_is_not_communicator_fails_with_its_answer(
    tmp_path: Path, some_other_web_server: str
) -> None:
    result = run_selftest(tmp_path, f'server_url = "{some_other_web_server}"\n')
    assert result.returncode == 1
    assert lines_by_check(result.stdout)["server"] == (
        f"FAIL  {some_other_web_server} (system configuration) answered HTTP 404, "
        "not a Communicator server's health"
    )


def test_a_damaged_preset_and_a_missing_ca_file_fail(tmp_path: Path) -> None:
    result = run_selftest(tmp_path, 'server_url = "https://pbx.example\n')
    assert result.returncode == 1
    line = lines_by_check(result.stdout)["system configuration"]
    assert line.startswith("FAIL  ")
    assert "config.toml cannot be read" in line

    missing = tmp_path / "no-such-ca.pem"
    result = run_selftest(tmp_path, f'ca_file = "{missing}"\n')
    assert result.returncode == 1
    line = lines_by_check(result.stdout)["system configuration"]
    assert line.startswith("FAIL  ")
    assert f"CA file {missing} cannot be loaded" in line


def test_the_command_line_server_is_checked_before_the_preset(tmp_path: Path, site: Site) -> None:
    result = run_selftest(tmp_path, 'server_url = "http://127.0.0.1:9"\n', "--server", site.url)
    server_line = lines_by_check(result.stdout)["server"]
    assert server_line.startswith(f"ok  {site.url} (command line) answered"), result.stdout


def test_no_usable_keyring_fails_with_the_reason(tmp_path: Path) -> None:
    # keyring's own switch for the backend: the "fail" backend is what a desktop session
    # without a Secret Service (or KWallet) gets.
    result = run_selftest(
        tmp_path, None, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    assert result.returncode == 1
    line = lines_by_check(result.stdout)["keyring"]
    assert line.startswith("FAIL  no usable keyring (keyring.backends.fail.Keyring)")
