"""Example profile documents shared by the schema tests (plain functions, usable from
hypothesis tests where function-scoped fixtures are not allowed)."""

from __future__ import annotations

import copy
from typing import Any

EXAMPLE_PASSWORD = "Sup3r-Secret!pw"

_EXAMPLE: dict[str, Any] = {
    "schema_version": 1,
    "revision": 7,
    "agent": {
        "display_name": "Jan Kowalski",
        "login": "jkowalski",
        "group": "Support PL",
        "country_code": "48",
        "phone_number": "+48 22 123 45 67",
        "extension": "1001",
        "max_lines": 4,
        "min_call_log_seconds": 5,
    },
    "sip": {
        "username": "1001",
        "password": EXAMPLE_PASSWORD,
        "auth_name": "1001-auth",
        "server": "pbx.example.com",
        "port": 5070,
        "domain": "example.com",
        "outbound_proxy": "10.0.0.5",
        "outbound_proxy_port": 5080,
        "transports": ["tls", "tcp", "udp"],
        "use_sdp": False,
        "caller_id": "Support Line",
    },
    "equipment": {"type": "sip_id", "workstation_ip": None, "protocol": "udp"},
    "nat": {
        "rport": True,
        "keepalive_seconds": 25,
        "stun_server": "stun.example.com",
        "stun_port": 3479,
    },
    "registration": {"expiry_seconds": 120, "refresh_seconds": 60},
    "media": {
        "codecs": ["PCMA", "PCMU", "G722", "opus"],
        "dtmf": "sip_info",
        "srtp": "optional",
    },
    "recording": {"enabled": True, "format": "wav49"},
    "call_center": {
        "not_ready_reasons": [
            {"code": "BRK", "label": "Break"},
            {"code": "LUN", "label": "Lunch"},
            {"code": "TRN", "label": "Training"},
        ],
        "wrap_up_seconds": 30,
        "screen_pop_url": "https://crm.example.com/pop?number={number}&agent={agent}",
        "allow_offline_start": True,
    },
    "forwarding": {
        "always": {"enabled": False, "target": None},
        "schedule": {
            "enabled": True,
            "target": "sip:night@pbx.example.com",
            "start": "22:00",
            "end": "06:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
        },
        "busy": {"enabled": True, "target": "+48221234500"},
        "no_answer": {"enabled": True, "target": "2000", "after_seconds": 25},
    },
    "pbx": {
        "context": "agents",
        "call_group": "1,3-4",
        "pickup_group": "1",
        "peer_type": "peer",
        "host": "dynamic",
        "nat": "yes",
        "chanspy_allowed": True,
        "video_allowed": False,
        "permission_level": 50,
    },
}

_MINIMAL: dict[str, Any] = {
    "agent": {"login": "jdoe", "extension": "1002"},
    "sip": {"server": "pbx.example.com", "username": "1002"},
}


def example_profile_dict() -> dict[str, Any]:
    """A complete, valid profile document with non-default values everywhere (fresh copy)."""
    return copy.deepcopy(_EXAMPLE)


def minimal_profile_dict() -> dict[str, Any]:
    """The smallest valid profile document: everything else takes its default (fresh copy)."""
    return copy.deepcopy(_MINIMAL)


def set_in(document: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """Set ``document[a][b]...`` for the dotted ``path`` ("sip.port"), creating objects."""
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return document


def delete_in(document: dict[str, Any], path: str) -> dict[str, Any]:
    """Delete the value at the dotted ``path``."""
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    del node[last]
    return document
