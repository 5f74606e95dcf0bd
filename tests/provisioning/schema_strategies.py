"""Hypothesis strategies producing valid profile documents and arbitrary JSON values."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from communicator.provisioning.schema import (
    CANONICAL_CODECS,
    CODEC_ALIASES,
    MAX_LINES_LIMIT,
    SCREEN_POP_PLACEHOLDERS,
    canonical_codec,
)

LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = LOWER + DIGITS


def chars(alphabet: str, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Strings over ``alphabet`` (much faster to generate than regex strategies)."""
    return st.text(st.sampled_from(alphabet), min_size=min_size, max_size=max_size)


def prefixed(head: st.SearchStrategy[str], tail: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: a + b, head, tail)


SAFE_TEXT = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
extra_fields: st.SearchStrategy[dict[str, Any]] = st.just({}) | st.dictionaries(
    prefixed(st.just("x_"), chars(ALNUM + "_", 1, 10)), json_values, min_size=1, max_size=2
)
"""Unknown fields a newer server might send (empty half of the time, to keep generation fast)."""


def text(max_size: int, *, forbidden: str = "") -> st.SearchStrategy[str]:
    alphabet = SAFE_TEXT.filter(lambda ch: ch not in forbidden) if forbidden else SAFE_TEXT
    return st.text(alphabet, max_size=max_size)


token = chars(string.ascii_letters + DIGITS + "._@+-", 1, 24)
label = chars(ALNUM, 1, 8) | st.builds(
    lambda a, mid, b: a + mid + b, chars(ALNUM, 1, 1), chars(ALNUM + "-", 1, 6), chars(ALNUM, 1, 1)
)
hostname = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(label, min_size=0, max_size=3),
    chars(LOWER, 2, 6),
)
ip_address = st.ip_addresses().map(str)
host = hostname | ip_address | st.ip_addresses(v=6).map(lambda a: f"[{a}]")
port = st.integers(1, 65535)
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
number_target = prefixed(st.sampled_from(["", "+"]), chars(DIGITS + "*#", 1, 20))
sip_target = st.builds(
    lambda scheme, user, h, p: f"{scheme}:{user}@{h}" + (f":{p}" if p else ""),
    st.sampled_from(["sip", "sips"]),
    chars(string.ascii_letters + DIGITS + "._-", 1, 12),
    hostname | st.ip_addresses(v=4).map(str),
    st.none() | port,
)
target = number_target | sip_target
codec_spelling = st.sampled_from(sorted(CODEC_ALIASES)) | st.sampled_from(CANONICAL_CODECS)
unknown_codec = prefixed(
    chars(string.ascii_letters, 1, 1), chars(string.ascii_letters + DIGITS + ".-", 0, 10)
)


def _codec_key(name: str) -> str:
    return (canonical_codec(name) or name).lower()


def _optional(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(required, optional=optional)


def _with_extras(section: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.builds(lambda d, x: {**x, **d}, section, extra_fields)


agent = _with_extras(
    _optional(
        {
            "login": token,
            "extension": chars(DIGITS, 1, 16),
        },
        {
            "display_name": text(40),
            "group": text(40),
            "country_code": chars(DIGITS, 0, 3),
            "phone_number": st.just("")
            | prefixed(
                prefixed(st.sampled_from(["", "+"]), chars(DIGITS, 1, 1)),
                chars(DIGITS + " ()-", 0, 20),
            ),
            "max_lines": st.integers(1, MAX_LINES_LIMIT),
            "min_call_log_seconds": st.integers(0, 10**9),
        },
    )
)

sip_optional = {
    "password": st.none() | text(40),
    "auth_name": st.just("") | token,
    "port": port,
    "domain": st.just("") | host,
    "outbound_proxy": st.none() | host,
    "outbound_proxy_port": port,
    "transports": st.lists(
        st.sampled_from(["udp", "tcp", "tls", "UDP", "Tls"]),
        min_size=1,
        max_size=3,
        unique_by=str.lower,
    ),
    "use_sdp": st.booleans(),
    "caller_id": st.none() | text(40, forbidden='"\\'),
}


@st.composite
def sip_and_equipment(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    static_ip = draw(st.booleans())
    sip = draw(_optional({"server": host}, sip_optional))
    equipment: dict[str, Any] = {}
    if static_ip:
        equipment = {"type": "static_ip", "workstation_ip": draw(ip_address)}
        username = draw(st.none() | st.just("") | token)
        if username is not None:
            sip["username"] = username
    else:
        sip["username"] = draw(token)
        if draw(st.booleans()):
            equipment["type"] = "sip_id"
        if draw(st.booleans()):
            equipment["workstation_ip"] = draw(st.none() | ip_address)
    if draw(st.booleans()):
        equipment["protocol"] = draw(st.sampled_from(["udp", "tcp", "TCP"]))
    return {**draw(extra_fields), **sip}, {**draw(extra_fields), **equipment}


@st.composite
def registration(draw: st.DrawFn) -> dict[str, Any]:
    expiry = draw(st.integers(2, 86400))
    result: dict[str, Any] = {**draw(extra_fields), "expiry_seconds": expiry}
    result["refresh_seconds"] = draw(st.integers(1, expiry - 1))
    return result


nat = _with_extras(
    _optional(
        {},
        {
            "rport": st.booleans(),
            "keepalive_seconds": st.integers(0, 3600),
            "stun_server": st.none() | host,
            "stun_port": port,
        },
    )
)
media = _with_extras(
    _optional(
        {},
        {
            "codecs": st.lists(
                codec_spelling | unknown_codec, min_size=1, max_size=6, unique_by=_codec_key
            ),
            "dtmf": st.sampled_from(["rfc4733", "sip_info", "SIP_INFO"]),
            "srtp": st.sampled_from(["disabled", "optional", "mandatory"]),
        },
    )
)
recording = _with_extras(
    _optional(
        {},
        {
            "enabled": st.booleans(),
            "format": st.sampled_from(["wav", "wav49", "gsm", "WAV49", "GSM"]),
        },
    )
)
reason = _with_extras(
    st.fixed_dictionaries(
        {
            "code": chars(string.ascii_uppercase + DIGITS + "_", 1, 8),
            "label": prefixed(chars(string.ascii_letters, 1, 1), text(20)),
        }
    )
)
screen_pop = st.builds(
    lambda scheme, h, parts: f"{scheme}://{h}/" + "&".join(f"{p}={{{p}}}" for p in parts),
    st.sampled_from(["http", "https"]),
    hostname,
    st.lists(st.sampled_from(SCREEN_POP_PLACEHOLDERS), max_size=4),
)
call_center = _with_extras(
    _optional(
        {},
        {
            "not_ready_reasons": st.lists(reason, max_size=4, unique_by=lambda r: str(r["code"])),
            "wrap_up_seconds": st.integers(0, 86400),
            "wrap_up_extension_seconds": st.integers(0, 86400),
            "no_answer_seconds": st.integers(0, 3600),
            "calls_while_not_ready": st.booleans(),
            "screen_pop_url": st.none() | screen_pop,
            "allow_offline_start": st.booleans(),
        },
    )
)


@st.composite
def rule(draw: st.DrawFn, extra: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    enabled = draw(st.booleans())
    result: dict[str, Any] = dict(draw(extra_fields))
    if enabled or draw(st.booleans()):
        result["enabled"] = enabled
    if enabled or draw(st.booleans()):
        result["target"] = draw(target) if enabled else draw(st.none() | target)
    for key, strategy in extra.items():
        if draw(st.booleans()):
            result[key] = draw(strategy)
    return result


@st.composite
def schedule_rule(draw: st.DrawFn) -> dict[str, Any]:
    result = draw(rule({}))
    start, end = draw(st.lists(clock, min_size=2, max_size=2, unique=True))
    result.update(start=start, end=end)
    days = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "Sun"]))
    result["days"] = draw(days.filter(bool) if result.get("enabled") else days)
    return result


forwarding = _with_extras(
    _optional(
        {},
        {
            "always": rule({}),
            "schedule": schedule_rule(),
            "busy": rule({}),
            "no_answer": rule({"after_seconds": st.integers(1, 300)}),
        },
    )
)
group_list = st.lists(st.integers(0, 63), max_size=4).map(lambda ns: ",".join(map(str, ns)))
pbx = _with_extras(
    _optional(
        {},
        {
            "context": chars(string.ascii_letters + DIGITS + "_-", 1, 20),
            "call_group": group_list,
            "pickup_group": group_list,
            "peer_type": st.sampled_from(["user", "peer", "friend"]),
            "host": st.just("dynamic") | ip_address,
            "nat": st.sampled_from(["yes", "no", "force_rport", "comedia", "never", "route"]),
            "chanspy_allowed": st.booleans(),
            "video_allowed": st.booleans(),
            "permission_level": st.integers(0, 100),
        },
    )
)


@st.composite
def profile_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid profile document: required parts plus any subset of optional sections."""
    sip, equipment = draw(sip_and_equipment())
    document: dict[str, Any] = {**draw(extra_fields), "agent": draw(agent), "sip": sip}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "schema_version": st.just(1),
        "revision": st.integers(0, 2**40),
        "equipment": st.just(equipment),
        "nat": nat,
        "registration": registration(),
        "media": media,
        "recording": recording,
        "call_center": call_center,
        "forwarding": forwarding,
        "pbx": pbx,
    }
    if equipment.get("type") == "static_ip" or not sip.get("username"):
        document["equipment"] = equipment
    for key, strategy in optional.items():
        if key not in document and draw(st.booleans()):
            document[key] = draw(strategy)
    return document
