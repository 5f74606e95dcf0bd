"""The tests' server process is the one they talk to: a port picked free but taken by another
server before ours binds it (other test sessions share the machine) is not mistaken for ours."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import LiveServer, listener_owned_by


class _Foreign(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status":"ok","foreign":true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def foreign_port() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_foreign_server_on_the_picked_port_is_not_taken_for_ours(
    foreign_port: int, tmp_path: Path, sqlite_template: Path
) -> None:
    db = tmp_path / "server.sqlite3"
    shutil.copy(sqlite_template, db)
    server = LiveServer(f"sqlite:///{db}", tmp_path, port=foreign_port).start()
    try:
        assert server.proc is not None
        assert server.port != foreign_port
        assert listener_owned_by(server.port, server.proc.pid)
        answer = httpx.get(f"{server.url}/healthz", timeout=10).json()
        assert "foreign" not in answer
    finally:
        server.stop()
