"""Fast tests without pjsua2: the pump's scheduling decision, SIP text helpers, forwarding text."""

from __future__ import annotations

import datetime as dt

import pytest

from communicator.provisioning.schema import ForwardingSettings
from communicator.sip.polling import PollHint
from communicator.sip.sipmsg import (
    header_values,
    host_port,
    scrub,
    split_name_addr,
    top_via_address,
)
from communicator.ui.pump import PollPlan, PumpPolicy, plan_next_poll

POLICY = PumpPolicy(hot_block_ms=5, warm_interval=0.02, idle_interval=0.1, linger=0.25)


@pytest.mark.parametrize(
    ("events", "hint", "since", "expected"),
    [
        # Events were just processed: poll again at once, blocking for the next one.
        (3, PollHint(), 10.0, PollPlan(0.0, 5)),
        # A transaction is in progress (call setup, REGISTER): hot.
        (0, PollHint(hot=True), 10.0, PollPlan(0.0, 5)),
        # Just after a command or an event: polls block for the rest of the linger time,
        # each no longer than a hot poll (the Qt loop runs between them).
        (0, PollHint(), 0.1, PollPlan(0.0, 5)),
        (0, PollHint(), 0.2465, PollPlan(0.0, 4)),
        # Calls are up but quiet: warm.
        (0, PollHint(live=True), 10.0, PollPlan(0.02, 0)),
        # Idle and registered: slow.
        (0, PollHint(), 10.0, PollPlan(0.1, 0)),
        # Calls whose RTP comes through the pump: poll continuously, blocking in epoll.
        (0, PollHint(live=True, rtp=True), 10.0, PollPlan(0.0, 10)),
        # A timer is due sooner than the idle interval: wake for it.
        (0, PollHint(next_deadline_in=0.03), 10.0, PollPlan(0.03, 0)),
        # An overdue timer: now.
        (0, PollHint(next_deadline_in=-1.0), 10.0, PollPlan(0.0, 0)),
        # A timer further away than the interval does not slow the warm poll.
        (0, PollHint(live=True, next_deadline_in=5.0), 10.0, PollPlan(0.02, 0)),
    ],
)
def test_plan_next_poll(events: int, hint: PollHint, since: float, expected: PollPlan) -> None:
    assert plan_next_poll(events=events, hint=hint, since_activity=since, policy=POLICY) == expected


def test_idle_polling_rate_is_bounded() -> None:
    idle = plan_next_poll(events=0, hint=PollHint(), since_activity=60.0, policy=PumpPolicy())
    assert idle.block_ms == 0 and 1 / idle.delay <= 20  # at most 20 wake-ups a second


def test_pump_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        PumpPolicy(idle_interval=0)


def test_scrub_removes_digest_credentials() -> None:
    message = (
        "REGISTER sip:example.com SIP/2.0\r\n"
        'Authorization: Digest username="1001", realm="x", nonce="abc", '
        'response="0123456789abcdef0123456789abcdef"\r\n'
        'proxy-authorization: Digest username="1001", response="ffff"\r\n'
        "Contact: <sip:1001@127.0.0.1:5060>\r\n\r\n"
    )
    clean = scrub(message)
    assert "0123456789abcdef" not in clean and "ffff" not in clean
    assert "Authorization: <redacted>" in clean
    assert "Contact: <sip:1001@127.0.0.1:5060>" in clean


def test_top_via_uses_received_and_rport() -> None:
    message = (
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/TCP 10.0.0.5:40000;rport=51234;received=198.51.100.7;branch=z9hG4bK1\r\n"
        "Via: SIP/2.0/UDP 10.0.0.9\r\n\r\n"
    )
    via = top_via_address(message)
    assert via is not None
    assert (via.host, via.port, via.transport) == ("198.51.100.7", 51234, "tcp")
    plain = top_via_address("SIP/2.0 200 OK\r\nv: SIP/2.0/TLS example.com\r\n\r\n")
    assert plain is not None and (plain.host, plain.port) == ("example.com", 5061)
    assert top_via_address("SIP/2.0 200 OK\r\n\r\n") is None


def test_header_values_and_name_addr() -> None:
    message = 'INVITE sip:a@b SIP/2.0\r\nf: "Ann \\"A\\"" <sip:ann@x>;tag=1\r\n\r\nFrom: body'
    (value,) = header_values(message, "From", "f")
    assert split_name_addr(value) == ('Ann "A"', "sip:ann@x")
    assert split_name_addr("Bob <sip:bob@y>") == ("Bob", "sip:bob@y")
    assert split_name_addr("sip:c@z;tag=2") == ("", "sip:c@z")


def test_host_port() -> None:
    assert host_port("127.0.0.1:5060") == ("127.0.0.1", 5060)
    assert host_port("[::1]:5061") == ("::1", 5061)
    assert host_port("example.com") == ("example.com", None)


def test_forwarding_description() -> None:
    pytest.importorskip("pjsua2")
    from communicator.sip.engine import describe_forwarding

    now = dt.datetime(2024, 5, 6, 12, 0)  # a Monday
    assert describe_forwarding(ForwardingSettings(), now) is None
    always = ForwardingSettings.model_validate({"always": {"enabled": True, "target": "1008"}})
    assert describe_forwarding(always, now) == "All calls are forwarded to 1008"
    mixed = ForwardingSettings.model_validate(
        {
            "busy": {"enabled": True, "target": "1009"},
            "no_answer": {"enabled": True, "target": "1010", "after_seconds": 15},
        }
    )
    text = describe_forwarding(mixed, now)
    assert text is not None and "1009" in text and "after 15 s" in text
