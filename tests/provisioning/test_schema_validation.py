"""Validation rules of every field: each bad value is reported at its dotted path."""

from __future__ import annotations

from typing import Any

import pytest
from schema_examples import delete_in, example_profile_dict, minimal_profile_dict, set_in

from communicator.provisioning.schema import (
    EquipmentType,
    ProfileError,
    RecordFormat,
    StaticIpProtocol,
    Transport,
    parse_profile,
)


def reject(document: dict[str, Any]) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        parse_profile(document)
    return info.value


def assert_rejected(path: str, value: object, field: str, fragment: str) -> None:
    err = reject(set_in(example_profile_dict(), path, value))
    assert err.field == field, str(err)
    assert fragment in err.problem, str(err)


def assert_accepted(path: str, value: object) -> Any:
    profile = parse_profile(set_in(example_profile_dict(), path, value))
    node: Any = profile
    for key in path.split("."):
        node = getattr(node, key)
    return node


# ------------------------------------------------------------------------- required fields


@pytest.mark.parametrize("path", ["agent", "sip", "agent.login", "agent.extension", "sip.server"])
def test_required_fields(path: str) -> None:
    err = reject(delete_in(example_profile_dict(), path))
    assert err.field == path
    assert err.problem == "is required"


def test_username_required_for_sip_id_but_not_static_ip() -> None:
    doc = minimal_profile_dict()
    del doc["sip"]["username"]
    err = reject(doc)
    assert (err.field, err.problem) == ("sip.username", "is required when equipment.type is sip_id")
    doc["equipment"] = {"type": "static_ip", "workstation_ip": "192.168.1.20", "protocol": "tcp"}
    profile = parse_profile(doc)
    assert profile.equipment.type is EquipmentType.STATIC_IP
    assert profile.equipment.workstation_ip == "192.168.1.20"
    assert profile.equipment.protocol is StaticIpProtocol.TCP


def test_static_ip_needs_a_valid_workstation_ip() -> None:
    doc = minimal_profile_dict()
    doc["equipment"] = {"type": "static_ip"}
    err = reject(doc)
    assert err.field == "equipment.workstation_ip"
    assert "required" in err.problem
    doc["equipment"]["workstation_ip"] = "pc-17.local"
    assert reject(doc).field == "equipment.workstation_ip"
    doc["equipment"]["workstation_ip"] = "fd00::17"
    assert parse_profile(doc).equipment.workstation_ip == "fd00::17"
    doc["equipment"]["protocol"] = "tls"
    assert reject(doc).field == "equipment.protocol"


# -------------------------------------------------------------------------------- numbers

RANGES = [
    ("sip.port", 1, 65535),
    ("sip.outbound_proxy_port", 1, 65535),
    ("nat.stun_port", 1, 65535),
    ("nat.keepalive_seconds", 0, 3600),
    ("agent.max_lines", 1, 12),
    ("forwarding.no_answer.after_seconds", 1, 300),
    ("pbx.permission_level", 0, 100),
]


@pytest.mark.parametrize(("path", "low", "high"), RANGES)
def test_integer_ranges(path: str, low: int, high: int) -> None:
    assert assert_accepted(path, low) == low
    assert assert_accepted(path, high) == high
    for bad in (low - 1, high + 1):
        assert_rejected(path, bad, path, f"must be between {low} and {high} (got {bad})")


def test_port_message_format() -> None:
    err = reject(set_in(example_profile_dict(), "sip.port", 70000))
    assert str(err) == "Invalid profile: sip.port: must be between 1 and 65535 (got 70000)"
    assert err.field == "sip.port"
    assert err.problem == "must be between 1 and 65535 (got 70000)"


@pytest.mark.parametrize(
    "path",
    ["agent.min_call_log_seconds", "call_center.wrap_up_seconds", "revision"],
)
def test_non_negative_integers(path: str) -> None:
    assert assert_accepted(path, 0) == 0
    assert_rejected(path, -1, path, "(got -1)")


def test_keepalive_zero_means_off() -> None:
    assert assert_accepted("nat.keepalive_seconds", 0) == 0


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("sip.port", "5060"),
        ("sip.port", 5060.0),
        ("sip.port", True),
        ("sip.port", None),
        ("agent.max_lines", [2]),
        ("revision", "7"),
        ("sip.use_sdp", "true"),
        ("sip.use_sdp", 1),
        ("nat.rport", None),
        ("recording.enabled", "yes"),
        ("agent.login", 42),
        ("agent.extension", 1001),
        ("sip.server", ["pbx"]),
        ("sip.transports", "udp"),
        ("media.codecs", "PCMU"),
        ("call_center.not_ready_reasons", {"code": "BRK"}),
        ("forwarding.schedule.days", "mon"),
        ("sip", "pbx.example.com"),
        ("media", []),
        ("forwarding.busy", True),
    ],
)
def test_wrong_types_are_rejected(path: str, value: object) -> None:
    err = reject(set_in(example_profile_dict(), path, value))
    assert err.field == path, str(err)
    assert err.problem.startswith("must be "), str(err)


def test_registration_refresh_must_be_below_expiry() -> None:
    doc = example_profile_dict()
    doc["registration"] = {"expiry_seconds": 60, "refresh_seconds": 60}
    err = reject(doc)
    assert err.field == "registration.refresh_seconds"
    assert "less than expiry_seconds (60)" in err.problem
    doc["registration"] = {"expiry_seconds": 60, "refresh_seconds": 59}
    assert parse_profile(doc).registration.refresh_seconds == 59
    for field in ("expiry_seconds", "refresh_seconds"):
        doc["registration"] = {"expiry_seconds": 60, "refresh_seconds": 30, field: 0}
        assert reject(doc).field == f"registration.{field}"


def test_only_expiry_given_uses_default_refresh() -> None:
    doc = minimal_profile_dict()
    doc["registration"] = {"expiry_seconds": 10}
    assert reject(doc).field == "registration.refresh_seconds"
    doc["registration"] = {"expiry_seconds": 3600}
    assert parse_profile(doc).registration.refresh_seconds == 15


# ---------------------------------------------------------------------------- hosts and text


@pytest.mark.parametrize(
    "host",
    ["pbx.example.com", "pbx", "10.0.0.1", "2001:db8::1", "[2001:db8::1]", "a-b.c-d.example."],
)
@pytest.mark.parametrize("path", ["sip.server", "sip.outbound_proxy", "nat.stun_server"])
def test_valid_hosts(path: str, host: str) -> None:
    assert assert_accepted(path, host) == host


@pytest.mark.parametrize(
    "host",
    [
        "",
        "pbx example",
        "pbx.example.com:5060",
        "sip:pbx.example.com",
        "udp://pbx",
        "-pbx.example.com",
        "pbx_1.example.com",
        "300.1.1.1",
        "1.2.3",
        "[pbx.example.com]",
        "[10.0.0.1]",
        "a" * 64 + ".com",
    ],
)
def test_invalid_sip_server(host: str) -> None:
    err = reject(set_in(example_profile_dict(), "sip.server", host))
    assert err.field == "sip.server"
    assert "host name or IP address" in err.problem or "host name" in err.problem


def test_server_with_port_explains_the_port_field() -> None:
    err = reject(set_in(example_profile_dict(), "sip.server", "pbx.example.com:5060"))
    assert "without a port" in err.problem


def test_domain_may_be_empty_or_a_host() -> None:
    assert assert_accepted("sip.domain", "") == ""
    assert assert_accepted("sip.domain", "example.com") == "example.com"
    assert_rejected("sip.domain", "example com", "sip.domain", "host name")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("agent.display_name", "Jan\nKowalski"),
        ("agent.login", ""),
        ("agent.login", "j doe"),
        ("agent.group", "x" * 129),
        ("sip.username", "10 01"),
        ("sip.auth_name", "a\tb"),
        ("sip.caller_id", 'Evil" <sip:x@y>'),
        ("sip.caller_id", "line\r\nVia: x"),
    ],
)
def test_text_fields_reject_control_characters_and_bad_values(path: str, value: str) -> None:
    assert reject(set_in(example_profile_dict(), path, value)).field == path


@pytest.mark.parametrize(
    ("path", "good", "bad"),
    [
        ("agent.country_code", ["48", "1", "380", ""], ["+48", "4a", "1234"]),
        ("agent.extension", ["1001", "7"], ["", "10a1", "+1001", "1" * 17]),
        (
            "agent.phone_number",
            ["+48 22 123 45 67", "(22) 123-45-67", "221234567", ""],
            ["abc", "+", "22 123 45 67 ext. 5", "+48 (22) x"],
        ),
    ],
)
def test_digit_fields(path: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert assert_accepted(path, value) == value
    for value in bad:
        assert reject(set_in(example_profile_dict(), path, value)).field == path, value


# ----------------------------------------------------------------------------------- enums


def test_transports_order_and_case() -> None:
    assert assert_accepted("sip.transports", ["TCP", "udp"]) == (Transport.TCP, Transport.UDP)


@pytest.mark.parametrize("transport", ["ws", "wss", "WSS"])
def test_websocket_transports_are_rejected(transport: str) -> None:
    err = reject(set_in(example_profile_dict(), "sip.transports", ["udp", transport]))
    assert err.field == "sip.transports[1]"
    assert "not supported by this client" in err.problem
    assert "not supported by this client" in str(err)


def test_transports_non_empty_unique_and_known() -> None:
    assert_rejected("sip.transports", [], "sip.transports", "at least one")
    assert_rejected("sip.transports", ["udp", "tcp", "udp"], "sip.transports[2]", "more than once")
    assert_rejected("sip.transports", ["sctp"], "sip.transports[0]", "must be one of")


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("media.dtmf", ["rfc4733", "sip_info"]),
        ("media.srtp", ["disabled", "optional", "mandatory"]),
        ("recording.format", ["wav", "wav49", "gsm"]),
        ("equipment.type", ["sip_id"]),
        ("equipment.protocol", ["udp", "tcp"]),
        ("pbx.peer_type", ["user", "peer", "friend"]),
        ("pbx.nat", ["yes", "no", "force_rport", "comedia", "never", "route"]),
    ],
)
def test_enum_fields(path: str, values: list[str]) -> None:
    for value in values:
        assert assert_accepted(path, value) == value
    err = reject(set_in(example_profile_dict(), path, "bogus"))
    assert err.field == path
    assert err.problem.startswith("must be one of")
    assert "(got 'bogus')" in err.problem


def test_record_format_accepts_seed_spelling() -> None:
    assert assert_accepted("recording.format", "WAV49") is RecordFormat.WAV49


# ------------------------------------------------------------------------------------- PBX


def test_pbx_fields() -> None:
    assert assert_accepted("pbx.host", "192.0.2.10") == "192.0.2.10"
    assert_rejected("pbx.host", "pbx.example.com", "pbx.host", "IPv4 or IPv6")
    assert_rejected("pbx.context", "from sip", "pbx.context", "letters, digits")
    assert_rejected("pbx.context", "", "pbx.context", "letters, digits")
    assert assert_accepted("pbx.call_group", "0,2-5,63") == "0,2-5,63"
    for bad in ("64", "5-2", "a", "1,,2", "1-2-3"):
        assert_rejected("pbx.call_group", bad, "pbx.call_group", "0..63")
        assert_rejected("pbx.pickup_group", bad, "pbx.pickup_group", "0..63")


# ---------------------------------------------------------------------------- call center


def test_not_ready_reasons() -> None:
    reasons = [{"code": "BRK", "label": "Break"}, {"code": "BRK", "label": "Other"}]
    err = reject(set_in(example_profile_dict(), "call_center.not_ready_reasons", reasons))
    assert err.field == "call_center.not_ready_reasons[1].code"
    assert "more than once" in err.problem
    reasons = [{"code": "BRK"}]
    err = reject(set_in(example_profile_dict(), "call_center.not_ready_reasons", reasons))
    assert err.field == "call_center.not_ready_reasons[0].label"
    reasons = [{"code": "", "label": "x"}]
    err = reject(set_in(example_profile_dict(), "call_center.not_ready_reasons", reasons))
    assert err.field == "call_center.not_ready_reasons[0].code"


# ----------------------------------------------------------------------------- forwarding


@pytest.mark.parametrize("rule", ["always", "schedule", "busy", "no_answer"])
def test_enabled_rule_needs_target(rule: str) -> None:
    doc = example_profile_dict()
    doc["forwarding"][rule] = {"enabled": True}
    err = reject(doc)
    assert err.field == f"forwarding.{rule}.target"
    assert "required when the rule is enabled" in err.problem


@pytest.mark.parametrize(
    "target",
    ["2000", "+48221234567", "*72", "sip:2000@pbx.example.com", "sips:agent@10.0.0.1:5061"],
)
def test_forwarding_targets_accepted(target: str) -> None:
    assert assert_accepted("forwarding.busy.target", target) == target


@pytest.mark.parametrize(
    "target",
    ["", "call me", "sip:@pbx", "sip:2000@", "http://x", "sip:2000@pbx:99999", "20 00"],
)
def test_forwarding_targets_rejected(target: str) -> None:
    err = reject(set_in(example_profile_dict(), "forwarding.busy.target", target))
    assert err.field == "forwarding.busy.target"


@pytest.mark.parametrize("value", ["24:00", "7:00", "07:60", "0700", "07:00:00", "ab:cd", ""])
def test_schedule_times_rejected(value: str) -> None:
    assert_rejected("forwarding.schedule.start", value, "forwarding.schedule.start", "HH:MM")


def test_schedule_start_and_end_must_differ() -> None:
    doc = example_profile_dict()
    doc["forwarding"]["schedule"].update(start="08:00", end="08:00")
    assert reject(doc).field == "forwarding.schedule.end"


def test_schedule_days() -> None:
    days = assert_accepted("forwarding.schedule.days", ["SUN", "mon", "sun", "wed"])
    assert [d.value for d in days] == ["mon", "wed", "sun"]
    assert_rejected("forwarding.schedule.days", [], "forwarding.schedule.days", "at least one")
    assert_rejected(
        "forwarding.schedule.days", ["mon", "funday"], "forwarding.schedule.days[1]", "one of"
    )
    doc = example_profile_dict()
    doc["forwarding"]["schedule"].update(enabled=False, days=[])
    assert parse_profile(doc).forwarding.schedule.days == ()
