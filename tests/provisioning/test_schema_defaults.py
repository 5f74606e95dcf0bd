"""Every default of the v1 profile, seen through a minimal document."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from communicator.provisioning.schema import (
    DEFAULT_CODECS,
    MAX_LINES_LIMIT,
    SCHEMA_VERSION,
    DtmfMethod,
    EquipmentType,
    NatMode,
    PeerType,
    ProfileError,
    RecordFormat,
    SrtpMode,
    StaticIpProtocol,
    Transport,
    Weekday,
    parse_profile,
)


def test_schema_version_and_revision_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(minimal_profile_dict)
    assert SCHEMA_VERSION == 1
    assert profile.schema_version == 1
    assert profile.revision == 0


def test_agent_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    agent = parse_profile(minimal_profile_dict).agent
    assert agent.login == "jdoe"
    assert agent.extension == "1002"
    assert agent.display_name == ""
    assert agent.group == ""
    assert agent.country_code == ""
    assert agent.phone_number == ""
    assert agent.max_lines == 2
    assert MAX_LINES_LIMIT == 12
    assert agent.min_call_log_seconds == 0


def test_sip_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    sip = parse_profile(minimal_profile_dict).sip
    assert sip.server == "pbx.example.com"
    assert sip.username == "1002"
    assert sip.password is None
    assert sip.auth_name == "1002"  # defaults to the user name
    assert sip.port == 5060
    assert sip.domain == ""
    assert sip.effective_domain == "pbx.example.com"
    assert sip.outbound_proxy is None
    assert sip.outbound_proxy_port == 5060
    assert sip.transports == (Transport.UDP,)
    assert sip.use_sdp is True
    assert sip.caller_id is None


def test_auth_name_defaults_to_username_when_empty(minimal_profile_dict: dict[str, Any]) -> None:
    minimal_profile_dict["sip"]["auth_name"] = ""
    assert parse_profile(minimal_profile_dict).sip.auth_name == "1002"
    minimal_profile_dict["sip"]["auth_name"] = None
    assert parse_profile(minimal_profile_dict).sip.auth_name == "1002"
    minimal_profile_dict["sip"]["auth_name"] = "other"
    assert parse_profile(minimal_profile_dict).sip.auth_name == "other"


def test_auth_name_is_not_reported_for_a_bad_username(
    minimal_profile_dict: dict[str, Any],
) -> None:
    minimal_profile_dict["sip"]["username"] = "10 02"
    with pytest.raises(ProfileError) as info:
        parse_profile(minimal_profile_dict)
    assert [p.field for p in info.value.problems] == ["sip.username"]
    minimal_profile_dict["sip"].update(username=1002, auth_name=0)
    with pytest.raises(ProfileError) as info:
        parse_profile(minimal_profile_dict)
    assert [p.field for p in info.value.problems] == ["sip.username", "sip.auth_name"]


def test_static_ip_without_username_has_empty_auth_name(
    minimal_profile_dict: dict[str, Any],
) -> None:
    del minimal_profile_dict["sip"]["username"]
    minimal_profile_dict["equipment"] = {"type": "static_ip", "workstation_ip": "10.1.2.3"}
    sip = parse_profile(minimal_profile_dict).sip
    assert (sip.username, sip.auth_name) == ("", "")


def test_equipment_nat_registration_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(minimal_profile_dict)
    assert profile.equipment.type is EquipmentType.SIP_ID
    assert profile.equipment.workstation_ip is None
    assert profile.equipment.protocol is StaticIpProtocol.UDP
    assert profile.nat.rport is True
    assert profile.nat.keepalive_seconds == 15
    assert profile.nat.stun_server is None
    assert profile.nat.stun_port == 3478
    assert profile.registration.expiry_seconds == 30
    assert profile.registration.refresh_seconds == 15


def test_media_and_recording_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(minimal_profile_dict)
    assert profile.media.codecs == DEFAULT_CODECS == ("PCMU", "PCMA", "G722", "GSM")
    assert profile.media.dtmf is DtmfMethod.RFC4733
    assert profile.media.srtp is SrtpMode.DISABLED
    assert profile.recording.enabled is False
    assert profile.recording.format is RecordFormat.WAV


def test_call_center_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    cc = parse_profile(minimal_profile_dict).call_center
    assert cc.not_ready_reasons == ()
    assert cc.wrap_up_seconds == 0
    assert cc.screen_pop_url is None
    assert cc.render_screen_pop(number="1") is None
    assert cc.allow_offline_start is False


def test_forwarding_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    fwd = parse_profile(minimal_profile_dict).forwarding
    for rule in (fwd.always, fwd.schedule, fwd.busy, fwd.no_answer):
        assert rule.enabled is False
        assert rule.target is None
    assert fwd.no_answer.after_seconds == 20
    assert fwd.schedule.start == "18:00"
    assert fwd.schedule.end == "08:00"
    assert fwd.schedule.days == (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


def test_pbx_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    pbx = parse_profile(minimal_profile_dict).pbx
    assert pbx.context == "from-sip"
    assert pbx.call_group == ""
    assert pbx.pickup_group == ""
    assert pbx.peer_type is PeerType.FRIEND
    assert pbx.host == "dynamic"
    assert pbx.nat is NatMode.FORCE_RPORT
    assert pbx.chanspy_allowed is False
    assert pbx.video_allowed is False
    assert pbx.permission_level == 10


def test_example_document_is_valid(example_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(example_profile_dict)
    assert profile.revision == 7
    assert profile.sip.transports == (Transport.TLS, Transport.TCP, Transport.UDP)
    assert profile.recording.format is RecordFormat.WAV49
    assert profile.pbx.nat is NatMode.YES
    assert [r.code for r in profile.call_center.not_ready_reasons] == ["BRK", "LUN", "TRN"]


def test_models_are_frozen(minimal_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(minimal_profile_dict)
    with pytest.raises(pydantic.ValidationError):
        profile.sip.port = 5070  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        profile.revision = 3  # type: ignore[misc]
