"""Agent-state settings in the call-center section: wrap-up extension, no-answer time and
whether direct calls ring while the agent is not ready."""

from __future__ import annotations

from typing import Any

import pytest
from schema_examples import example_profile_dict, set_in

from communicator.provisioning.schema import (
    CallCenterSettings,
    ProfileError,
    VoipProfile,
    parse_profile,
)

FIELDS = ("wrap_up_extension_seconds", "no_answer_seconds", "calls_while_not_ready")


def _call_center(**values: object) -> CallCenterSettings:
    doc = example_profile_dict()
    for name, value in values.items():
        set_in(doc, f"call_center.{name}", value)
    return parse_profile(doc).call_center


def _rejected(name: str, value: object) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        _call_center(**{name: value})
    assert info.value.field == f"call_center.{name}", str(info.value)
    return info.value


def test_defaults(minimal_profile_dict: dict[str, Any]) -> None:
    cc = parse_profile(minimal_profile_dict).call_center
    assert cc.wrap_up_extension_seconds == 30
    assert cc.no_answer_seconds == 20
    assert cc.calls_while_not_ready is False
    built = CallCenterSettings()
    assert (built.wrap_up_extension_seconds, built.no_answer_seconds) == (30, 20)
    assert built.calls_while_not_ready is False


def test_zero_switches_extension_and_no_answer_off() -> None:
    cc = _call_center(wrap_up_extension_seconds=0, no_answer_seconds=0)
    assert cc.wrap_up_extension_seconds == 0 and cc.no_answer_seconds == 0


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("wrap_up_extension_seconds", -1, "between 0 and 86400 (got -1)"),
        ("wrap_up_extension_seconds", 86401, "between 0 and 86400"),
        ("wrap_up_extension_seconds", "30", "integer"),
        ("wrap_up_extension_seconds", True, "integer"),
        ("no_answer_seconds", -5, "between 0 and 3600 (got -5)"),
        ("no_answer_seconds", 3601, "between 0 and 3600"),
        ("no_answer_seconds", 20.0, "integer"),
        ("no_answer_seconds", None, "integer"),
        ("calls_while_not_ready", "yes", "true or false"),
        ("calls_while_not_ready", 1, "true or false"),
        ("calls_while_not_ready", None, "true or false"),
    ],
)
def test_bad_values_name_the_field(name: str, value: object, fragment: str) -> None:
    err = _rejected(name, value)
    assert fragment in err.problem, str(err)


def test_round_trip_and_serialisation() -> None:
    doc = example_profile_dict()
    for name, value in zip(FIELDS, (45, 12, True), strict=True):
        set_in(doc, f"call_center.{name}", value)
    profile = parse_profile(doc)
    data = profile.to_dict(include_secrets=True)
    assert {k: data["call_center"][k] for k in FIELDS} == {
        "wrap_up_extension_seconds": 45,
        "no_answer_seconds": 12,
        "calls_while_not_ready": True,
    }
    assert parse_profile(data) == profile
    assert parse_profile(profile.to_json(include_secrets=True)) == profile
    canonical = profile.canonical_json()
    assert b'"no_answer_seconds":12' in bytes(canonical)


@pytest.mark.parametrize(
    ("name", "value"),
    [("wrap_up_extension_seconds", 60), ("no_answer_seconds", 5), ("calls_while_not_ready", True)],
)
def test_a_change_is_a_new_profile_but_not_a_new_registration(
    example_profile: VoipProfile, name: str, value: object
) -> None:
    changed = parse_profile(set_in(example_profile_dict(), f"call_center.{name}", value))
    assert changed.etag != example_profile.etag
    assert not changed.sip_settings_differ(example_profile)
