"""HTTPS to the provisioning server: verification is always on; a private CA is configured,
never skipped."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from communicator.provisioning.client import ErrorKind, ProvisioningClient, ProvisioningError
from tests.rig.kamailio import generate_certificate
from tests.server.conftest import ROOT, LiveServer


def test_private_ca_is_refused_by_default_and_accepted_when_configured(tmp_path: Path) -> None:
    cert, key = generate_certificate(tmp_path / "tls", common_name="localhost")
    server = LiveServer(
        f"sqlite:///{tmp_path / 's.sqlite3'}",
        tmp_path,
        "--ssl-certfile",
        str(cert),
        "--ssl-keyfile",
        str(key),
    )
    server.url = server.url.replace("http://", "https://")
    try:
        _start_https(server, cert)
        with ProvisioningClient(server.url) as client, pytest.raises(ProvisioningError) as info:
            client.sign_in("anna", "pw")
        assert info.value.kind is ErrorKind.TLS
        assert "certificate authority" in str(info.value)
        with ProvisioningClient(server.url, ca_file=cert) as client:
            with pytest.raises(ProvisioningError) as info:
                client.sign_in("nobody", "pw")
            # The TLS handshake succeeded: the server itself answered (wrong credentials).
            assert info.value.kind is ErrorKind.WRONG_CREDENTIALS
    finally:
        server.stop()


def _start_https(server: LiveServer, ca: Path) -> None:
    """LiveServer.start probes plain HTTP; probe HTTPS with the test CA instead."""

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with server.log.open("wb") as log:
        server.proc = subprocess.Popen(
            server.args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.log.read_text()
        try:
            if httpx.get(f"{server.url}/healthz", verify=context, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # readiness poll of another process
    raise AssertionError(f"HTTPS server not ready: {server.log.read_text()}")
