"""The profile's optional ``desktop`` section (issue 16, "Settings"): the settings the admin
fixed, null where the agent chooses. A profile without it reads as "nothing fixed"; a client
that predates it (its model has no such section) still takes a profile that has it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import create_model

from communicator.provisioning.schema import (
    DesktopSettings,
    ProfileError,
    VoipProfile,
    parse_profile,
)
from communicator.provisioning.schema.base import Section

FIXED = {"close_to_tray": False, "start_at_login": True, "links": "dial", "sip_trace": None}


def test_a_profile_without_the_section_fixes_nothing(minimal_profile_dict: dict[str, Any]) -> None:
    profile = parse_profile(minimal_profile_dict)
    assert profile.desktop == DesktopSettings()
    assert profile.desktop.fixed == {}
    assert profile.to_dict()["desktop"] == {
        "close_to_tray": None,
        "start_at_login": None,
        "links": None,
        "sip_trace": None,
    }


def test_the_fixed_fields_are_read_and_round_trip(minimal_profile_dict: dict[str, Any]) -> None:
    document = {**minimal_profile_dict, "desktop": FIXED}
    profile = parse_profile(document)
    fixed = {"close_to_tray": False, "start_at_login": True, "links": "dial"}
    assert profile.desktop.fixed == fixed
    assert parse_profile(profile.to_json(include_secrets=True)) == profile
    assert profile.etag != parse_profile(minimal_profile_dict).etag


@pytest.mark.parametrize(
    ("field", "value"),
    [("close_to_tray", "yes"), ("sip_trace", 1), ("links", "call"), ("links", True)],
)
def test_wrong_values_are_refused_by_name(
    minimal_profile_dict: dict[str, Any], field: str, value: object
) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile({**minimal_profile_dict, "desktop": {field: value}})
    assert caught.value.field == f"desktop.{field}"


def test_a_newer_servers_desktop_field_is_kept_and_ignored(
    minimal_profile_dict: dict[str, Any],
) -> None:
    profile = parse_profile({**minimal_profile_dict, "desktop": {"theme": "dark"}})
    assert profile.desktop.fixed == {}
    assert profile.desktop.unknown_fields == {"theme": "dark"}


def test_a_client_without_the_section_takes_a_profile_with_it(
    minimal_profile_dict: dict[str, Any],
) -> None:
    # The client before the section: the same model less ``desktop`` (its sections accept
    # unknown fields, the document's top level included).
    fields: Any = {
        name: (info.annotation, info)
        for name, info in VoipProfile.model_fields.items()
        if name != "desktop"
    }
    old_client = create_model("OldVoipProfile", __base__=Section, **fields)
    document = copy.deepcopy(minimal_profile_dict)
    document["desktop"] = FIXED
    old = old_client.model_validate_json(json.dumps(document))
    assert old.unknown_fields == {"desktop": FIXED}
    assert old.model_dump(mode="json")["desktop"] == FIXED  # written back unchanged
