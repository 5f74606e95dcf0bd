"""Screen pop on the rig: a far end calls the agent and the profile's URL, with the caller's
number in it, reaches a local web server through the "default browser" (a small program named
by ``$BROWSER`` that fetches the URL, as a browser would), as the call rings or once answered."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from communicator.core.calls import Call, CallDirection, CallId, CallState, RemoteParty
from communicator.provisioning.schema import CallCenterSettings
from communicator.ui.desktop.screen_pop import ScreenPop, safe_screen_pop_url
from tests.client.site import Site
from tests.rig.deployment import Deployment
from tests.ui.helpers import Desk, far_end, ring_agent, sign_in, state_of

pytestmark = [
    pytest.mark.qt_log_ignore("This plugin does not support QPlatformServices::openUrl"),
]


class Crm:
    """A local HTTP server that records each request's path and query."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        crm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                crm.requests.append(self.path)
                body = b"<html><body>customer</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm() -> Iterator[Crm]:
    server = Crm()
    yield server
    server.close()


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The agent's default browser: fetches the URL it is given."""
    script = tmp_path / "fetching-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.request\n"
        "urllib.request.urlopen(sys.argv[1], timeout=10).read()\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    return script


def deployment_with_pop(
    site: Site, kamailio_factory: Any, tmp_path: Path, template: str, moment: str
) -> Deployment:
    return Deployment(
        site,
        kamailio_factory,
        tmp_path,
        far=("2002",),
        group_fields={"wrap_up_s": 0, "screen_pop_url": template, "screen_pop_on": moment},
    )


@pytest.mark.rig
def test_a_ringing_call_opens_the_crm_with_the_callers_number(
    site: Site,
    kamailio_factory: Any,
    tmp_path: Path,
    desk: Desk,
    peer_factory: Any,
    crm: Crm,
    browser: Path,
    qtbot: Any,
) -> None:
    template = f"http://127.0.0.1:{crm.port}/search?phone={{number}}&agent={{agent}}"
    deployment = deployment_with_pop(site, kamailio_factory, tmp_path, template, "ringing")
    model = desk.model
    pop = ScreenPop(model)
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)

    with qtbot.waitSignal(pop.opened, timeout=5000) as opened:
        ring_agent(qtbot, model, far)
    assert parse_qs(urlsplit(opened.args[0]).query)["phone"] == ["2002"]
    qtbot.waitUntil(lambda: len(crm.requests) == 1, timeout=10000)
    path = urlsplit(crm.requests[0])
    assert path.path == "/search"
    assert parse_qs(path.query) == {"phone": ["2002"], "agent": ["anna"]}


@pytest.mark.rig
def test_with_answered_the_crm_opens_when_the_agent_answers_once(
    site: Site,
    kamailio_factory: Any,
    tmp_path: Path,
    desk: Desk,
    peer_factory: Any,
    crm: Crm,
    browser: Path,
    qtbot: Any,
) -> None:
    template = f"http://127.0.0.1:{crm.port}/caller/{{number}}"
    deployment = deployment_with_pop(site, kamailio_factory, tmp_path, template, "answered")
    model = desk.model
    pop = ScreenPop(model)
    popped: list[str] = []
    pop.opened.connect(popped.append)
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)

    view = ring_agent(qtbot, model, far)
    assert popped == []  # ringing is not the moment
    with qtbot.waitSignal(pop.opened, timeout=5000):
        model.answer(view.call_id)
    qtbot.waitUntil(lambda: crm.requests == ["/caller/2002"], timeout=10000)
    call_id = view.call_id
    model.hold(call_id)  # a held and resumed call is still the same call: no second pop
    qtbot.waitUntil(lambda: state_of(model, call_id) is CallState.HELD, timeout=5000)
    model.resume(call_id)
    qtbot.waitUntil(lambda: state_of(model, call_id) is CallState.CONNECTED, timeout=5000)
    assert popped == [f"http://127.0.0.1:{crm.port}/caller/2002"]


def _call(number: str) -> Call:
    return Call(
        call_id=CallId("c1"),
        direction=CallDirection.INCOMING,
        remote=RemoteParty(uri=f"sip:{number}@x", display_name="Ann & Co", number=number),
        line=1,
        state=CallState.RINGING_IN,
        created_at=0.0,
    )


def test_the_number_and_name_are_url_encoded() -> None:
    cc = CallCenterSettings(screen_pop_url="https://crm.example/search?phone={number}&who={name}")
    url = safe_screen_pop_url(cc, _call("+48 22/555?1"), "anna", "2001")
    assert url == "https://crm.example/search?phone=%2B48%2022%2F555%3F1&who=Ann%20%26%20Co"


@pytest.mark.parametrize(
    "template",
    ["javascript:alert(1)//{number}", "file:///etc/passwd?{number}", "ftp://crm.example/{number}"],
)
def test_the_client_refuses_a_template_that_is_not_http(template: str) -> None:
    # A profile that skipped the server's check (built here without validation).
    cc = CallCenterSettings.model_construct(screen_pop_url=template)
    with pytest.raises(ValueError, match="http or https"):
        safe_screen_pop_url(cc, _call("2002"), "anna", "2001")
