"""Round trips, secrets, etags, unknown fields and the SIP-relevance check."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from schema_examples import EXAMPLE_PASSWORD, example_profile_dict, set_in

from communicator.provisioning.schema import (
    AgentSettings,
    SipAccount,
    VoipProfile,
    parse_profile,
)

# ------------------------------------------------------------------------------ round trips


def test_round_trip_with_secrets_is_exact(example_profile: VoipProfile) -> None:
    again = parse_profile(example_profile.to_json(include_secrets=True))
    assert again == example_profile
    assert again.etag == example_profile.etag
    assert again.sip.password is not None
    assert again.sip.password.get_secret_value() == EXAMPLE_PASSWORD


def test_round_trip_through_dict_and_bytes(example_profile: VoipProfile) -> None:
    assert parse_profile(example_profile.to_dict(include_secrets=True)) == example_profile
    data = example_profile.to_json(include_secrets=True, indent=2).encode()
    assert parse_profile(data) == example_profile


def test_to_dict_is_plain_json_data(example_profile: VoipProfile) -> None:
    data = example_profile.to_dict(include_secrets=True)
    assert json.loads(json.dumps(data)) == data
    assert data["sip"]["transports"] == ["tls", "tcp", "udp"]
    assert data["forwarding"]["schedule"]["days"] == ["mon", "tue", "wed", "thu", "fri"]


def test_round_trip_without_secrets_drops_only_the_password(
    example_profile: VoipProfile,
) -> None:
    again = parse_profile(example_profile.to_json())
    assert again.sip.password is None
    assert again == example_profile.without_secrets()
    assert again.with_password(EXAMPLE_PASSWORD) == example_profile


# ---------------------------------------------------------------------------------- secrets


def test_secret_never_in_repr_str_or_default_serialisation(example_profile: VoipProfile) -> None:
    for text in (
        repr(example_profile),
        str(example_profile),
        repr(example_profile.sip),
        str(example_profile.sip),
        repr(example_profile.sip.password),
        example_profile.to_json(),
        json.dumps(example_profile.to_dict()),
        example_profile.model_dump_json(),
        repr(example_profile.model_dump()),
        example_profile.etag,
    ):
        assert EXAMPLE_PASSWORD not in text
    assert example_profile.to_dict()["sip"]["password"] is None
    assert EXAMPLE_PASSWORD in example_profile.to_json(include_secrets=True)


def test_secret_not_in_logs(example_profile: VoipProfile, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.schema")
    with caplog.at_level(logging.DEBUG):
        log.info("profile %s", example_profile)
        log.info("profile %r", example_profile)
        log.info("sip %s", example_profile.sip)
    assert EXAMPLE_PASSWORD not in caplog.text


def test_has_secrets_and_without_secrets(example_profile: VoipProfile) -> None:
    assert example_profile.has_secrets
    cached = example_profile.without_secrets()
    assert not cached.has_secrets
    assert cached.sip.password is None
    assert cached.without_secrets() is cached
    assert cached.sip.username == example_profile.sip.username
    assert cached.etag != example_profile.etag
    # Only the password differs.
    assert cached.to_dict() == example_profile.to_dict()
    assert example_profile.has_secrets  # the original is untouched


def test_empty_password_means_no_secret(example_profile_dict: dict[str, Any]) -> None:
    example_profile_dict["sip"]["password"] = ""
    assert not parse_profile(example_profile_dict).has_secrets
    example_profile_dict["sip"]["password"] = None
    assert not parse_profile(example_profile_dict).has_secrets
    profile = parse_profile(example_profile_dict)
    assert profile.with_password("") == profile


# --------------------------------------------------------------------------------- etag


def test_etag_is_a_sha256_hex_digest(example_profile: VoipProfile) -> None:
    assert len(example_profile.etag) == 64
    int(example_profile.etag, 16)


def test_same_content_same_etag(example_profile_dict: dict[str, Any]) -> None:
    first = parse_profile(example_profile_dict)
    reordered = json.dumps(example_profile_dict, sort_keys=True, indent=4)
    second = parse_profile(reordered)
    assert first.etag == second.etag
    assert first == second
    # Equivalent spellings normalise to the same content.
    example_profile_dict["media"]["codecs"] = ["alaw", "ulaw", "g722", "OPUS"]
    example_profile_dict["forwarding"]["schedule"]["days"] = ["fri", "thu", "wed", "tue", "mon"]
    assert parse_profile(example_profile_dict).etag == first.etag


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("revision", 8),
        ("sip.password", "another"),
        ("sip.port", 5071),
        ("agent.display_name", "Jan K."),
        ("agent.max_lines", 5),
        ("media.codecs", ["PCMU", "PCMA", "G722", "opus"]),
        ("call_center.wrap_up_seconds", 31),
        ("forwarding.no_answer.after_seconds", 26),
        ("pbx.permission_level", 51),
        ("pbx.x_new_field", 1),
        ("x_top_level_extra", {"a": 1}),
    ],
)
def test_any_change_changes_the_etag(
    example_profile: VoipProfile, path: str, value: object
) -> None:
    changed = parse_profile(set_in(example_profile_dict(), path, value))
    assert changed.etag != example_profile.etag


def test_canonical_json_is_sorted_and_compact(example_profile: VoipProfile) -> None:
    raw = example_profile.canonical_json()
    data = json.loads(raw)
    assert raw == json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- unknown fields

EXTRAS: dict[str, dict[str, object]] = {
    "": {"x_future": 1},
    "agent": {"x_future": "a"},
    "sip": {"x_future": [1, 2, {"deep": None}]},
    "equipment": {"x_future": True},
    "nat": {"x_future": 1.5},
    "registration": {"x_future": None},
    "media": {"x_future": {"nested": {"k": "v"}}},
    "recording": {"x_future": "mp3"},
    "call_center": {"x_future": []},
    "call_center.not_ready_reasons[0]": {"x_future": "colour"},
    "forwarding": {"x_future": 0},
    "forwarding.always": {"x_future": 1},
    "forwarding.schedule": {"x_future": "tz"},
    "forwarding.busy": {"x_future": 2},
    "forwarding.no_answer": {"x_future": 3},
    "pbx": {"x_future": "amaflags"},
}


def _node(document: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = document
    for part in path.replace("[0]", ".0").split("."):
        if part:
            node = node[int(part)] if part.isdigit() else node[part]
    assert isinstance(node, dict)
    return node


def _model(profile: VoipProfile, path: str) -> Any:
    node: Any = profile
    for part in path.replace("[0]", ".0").split("."):
        if part:
            node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


@pytest.mark.parametrize("path", list(EXTRAS))
def test_unknown_fields_are_kept_on_every_level(path: str) -> None:
    document = example_profile_dict()
    _node(document, path).update(EXTRAS[path])
    profile = parse_profile(document)
    assert _model(profile, path).unknown_fields == EXTRAS[path]
    dumped = profile.to_dict(include_secrets=True)
    assert _node(dumped, path)["x_future"] == EXTRAS[path]["x_future"]
    assert parse_profile(profile.to_json(include_secrets=True)) == profile


def test_known_fields_excludes_extras(example_profile_dict: dict[str, Any]) -> None:
    example_profile_dict["agent"]["x_future"] = 1
    agent = parse_profile(example_profile_dict).agent
    assert "x_future" not in agent.known_fields()
    assert set(agent.known_fields()) == set(AgentSettings.model_fields)


# ------------------------------------------------------------------------- SIP relevance


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("sip.password", "changed"),
        ("sip.username", "1009"),
        ("sip.auth_name", "other"),
        ("sip.server", "pbx2.example.com"),
        ("sip.port", 5061),
        ("sip.transports", ["udp"]),
        ("sip.use_sdp", True),
        ("sip.caller_id", "Other"),
        ("nat.keepalive_seconds", 0),
        ("nat.stun_server", None),
        ("registration.expiry_seconds", 300),
        ("media.codecs", ["PCMU"]),
        ("media.srtp", "mandatory"),
        ("media.dtmf", "rfc4733"),
        ("equipment.protocol", "tcp"),
    ],
)
def test_sip_relevant_changes(example_profile: VoipProfile, path: str, value: object) -> None:
    changed = parse_profile(set_in(example_profile_dict(), path, value))
    assert changed.sip_settings_differ(example_profile)
    assert example_profile.sip_settings_differ(changed)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("revision", 99),
        ("agent.display_name", "Someone"),
        ("agent.max_lines", 1),
        ("recording.enabled", False),
        ("call_center.wrap_up_seconds", 0),
        ("call_center.allow_offline_start", False),
        ("forwarding.busy.enabled", False),
        ("pbx.permission_level", 0),
        ("pbx.nat", "no"),
        ("sip.x_future", "ignored"),
        ("x_future", "ignored"),
    ],
)
def test_non_sip_changes(example_profile: VoipProfile, path: str, value: object) -> None:
    changed = parse_profile(set_in(example_profile_dict(), path, value))
    assert changed.etag != example_profile.etag
    assert not changed.sip_settings_differ(example_profile)


def test_sip_differs_when_secrets_are_dropped(example_profile: VoipProfile) -> None:
    assert example_profile.without_secrets().sip_settings_differ(example_profile)
    assert not example_profile.sip_settings_differ(example_profile)


def test_models_can_be_built_directly() -> None:
    sip = SipAccount(server="pbx.example.com", username="1001")
    assert sip.auth_name == "1001"
    profile = VoipProfile(agent=AgentSettings(login="a", extension="1"), sip=sip)
    assert parse_profile(profile.to_json(include_secrets=True)) == profile
