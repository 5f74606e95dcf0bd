"""A profile rendered from stored rows (sign-in, profile fetch) without the schema's JSON round
trip is byte for byte the one the full check renders, and a stored document the schema refuses
is still refused in the schema's words (never a 500)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from communicator.provisioning.schema import parse_profile
from communicator.provisioning.server import profile as profile_mod
from communicator.provisioning.server.errors import Invalid
from communicator.provisioning.server.models import Agent, Group, VoipAccount, fill_defaults

NOW = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)


def document(**account: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": 7,
        "extension": 1007,
        "sip_username": "sip7",
        "sip_password_enc": b"",
        "sip_server": "pbx.example.com",
        "transports": ["udp", "tls"],
        "codecs": ["opus", "PCMA"],
        "forwarding": {"busy": {"enabled": True, "target": "+48221234567"}},
        "updated_at": NOW,
    }
    acc = VoipAccount(**{**fields, **account})
    fill_defaults(acc)
    group = Group(id=3, name="Sales", updated_at=NOW)
    fill_defaults(group)
    agent = Agent(
        id=5,
        login="ola",
        display_name="Ola Nowak",
        password_hash="x",
        group_id=3,
        wrap_up_s=12,
        not_ready_reasons=[{"code": "lunch", "label": "Lunch"}],
        updated_at=NOW,
    )
    fill_defaults(agent)
    return profile_mod.profile_document(acc, agent, group, "sip-secret", "Desk 2")


def test_stored_render_is_the_full_render() -> None:
    doc = document()
    body, etag = profile_mod.render_stored(doc)
    assert (body, etag) == profile_mod.render(doc)
    back = parse_profile(body)
    assert back.etag == etag
    assert back.sip.password is not None
    assert back.sip.password.get_secret_value() == "sip-secret"
    assert back.call_center.wrap_up_seconds == 12


@pytest.mark.parametrize(
    "change",
    [
        {"sip_port": 0},
        {"transports": ["carrier-pigeon"]},
        {"dtmf": "smoke-signals"},
    ],
)
def test_stored_render_refuses_in_the_schemas_words(change: dict[str, Any]) -> None:
    doc = document(**change)
    with pytest.raises(Invalid) as full:
        profile_mod.render(doc)
    with pytest.raises(Invalid) as stored:
        profile_mod.render_stored(doc)
    assert str(stored.value) == str(full.value)
    assert "the resulting VoIP profile is invalid" in str(stored.value)


def test_stored_render_of_a_deeply_nested_document_is_refused() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = {"x": deep}
    doc = document()
    doc["forwarding"] = {"busy": {"enabled": True, "target": "+48221234567", "x": deep}}
    with pytest.raises(Invalid):
        profile_mod.render_stored(doc)
