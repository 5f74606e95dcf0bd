"""The VoIP account editor's fields (seed 000) and the mapping between its HTML form and the
API's account body (``AccountCreate`` / ``AccountFields``).

Nothing is checked here: the form's values go to the same pydantic models and services as the
JSON API, and their errors (and the profile schema's, for forwarding) are placed beside the
field they name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from communicator.provisioning.schema import ForwardingSettings
from communicator.provisioning.schema.codecs import CANONICAL_CODECS
from communicator.provisioning.schema.enums import Weekday
from communicator.provisioning.schema.validators import FIELD_CTX_KEY

from ..api_models import AccountCreate, AccountFields
from ..errors import ApiError
from ..guards import unstorable_text
from .numbers import number


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, number, password, checkbox, select, agent, group, choices, list
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]


TRANSPORTS = (("udp", "UDP"), ("tcp", "TCP"), ("tls", "TLS"))
DAYS = tuple((d.value, d.value.capitalize()) for d in Weekday)

SECTIONS: tuple[Section, ...] = (
    Section(
        "Options",
        (
            Field("agent_id", "Agent", "agent", hint="None: the account is in the number pool."),
            Field("group", "Group", "group", hint="The agent's group (set on the agent)."),
            Field("country_code", "Country code", hint="Up to 3 digits, e.g. 1 or 44."),
            Field("phone_number", "Phone number", hint="A direct line is not required."),
            Field("extension", "Extension", "number", hint="Empty: the next free one."),
            Field(
                "max_lines",
                "Max phone lines",
                "number",
                hint="1 to 12. Communicator on a computer holds 4 calls at once: it offers"
                " at most 4 lines.",
            ),
            Field("min_call_log_s", "Min call log length (seconds)", "number"),
            Field("active", "Active", "checkbox"),
            Field("pool", "Lend from the pool while it has no agent", "checkbox"),
        ),
    ),
    Section(
        "SIP account",
        (
            Field("sip_username", "VoIP username"),
            Field("sip_password", "VoIP password", "password"),
            Field("sip_server", "SIP server", hint="e.g. sip.example.com"),
            Field("sip_port", "SIP port", "number"),
            Field("sip_domain", "SIP domain"),
            Field("auth_name", "SIP auth name"),
            Field("outbound_proxy", "Outbound proxy server"),
            Field("outbound_proxy_port", "Outbound proxy port", "number"),
            Field("use_sdp", "Use Session Description Protocol (SDP)", "checkbox"),
            Field("caller_id", "Caller ID"),
            Field("transports", "Transports", "choices", TRANSPORTS),
        ),
    ),
    Section(
        "NAT (STUN)",
        (
            Field("stun_server", "STUN server"),
            Field("stun_port", "STUN port", "number"),
        ),
    ),
    Section(
        "Media and recording",
        (
            Field(
                "codecs",
                "Codecs, in order of preference",
                "list",
                hint="Comma-separated; known: " + ", ".join(CANONICAL_CODECS) + ".",
            ),
            Field(
                "srtp",
                "SRTP (media encryption)",
                "select",
                (("disabled", "Disabled"), ("optional", "Optional"), ("mandatory", "Mandatory")),
            ),
            Field("record_calls", "Record calls", "checkbox"),
            Field(
                "record_format",
                "Recording format",
                "select",
                (("wav", "WAV"), ("wav49", "WAV49 (GSM)"), ("gsm", "GSM")),
            ),
        ),
    ),
    Section(
        "Equipment",
        (
            Field(
                "equipment_type",
                "Equipment",
                "select",
                (("sip_id", "SIP ID (softphone)"), ("static_ip", "Static IP (desk phone)")),
            ),
            Field("workstation_ip", "Static IP address"),
            Field(
                "static_protocol",
                "Static IP protocol",
                "select",
                (("udp", "UDP"), ("tcp", "TCP")),
            ),
        ),
    ),
)

FORWARDING: tuple[tuple[str, str], ...] = (
    ("always", "Always"),
    ("schedule", "Period (daily time window)"),
    ("no_answer", "No answer"),
    ("busy", "Busy"),
)

_NUMBERS = {f.name for s in SECTIONS for f in s.fields if f.kind == "number"}
_CHECKBOXES = {f.name for s in SECTIONS for f in s.fields if f.kind == "checkbox"}
_PLAIN = {f.name for s in SECTIONS for f in s.fields if f.kind in ("text", "select", "password")}


def _int_or_text(value: str) -> int | str:
    value = value.strip()
    found = number(value, 11)
    return value if found is None else found


def forwarding_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for name, _label in FORWARDING:
        rule: dict[str, Any] = {
            "enabled": form.get(f"fw_{name}_enabled") == "on",
            "target": str(form.get(f"fw_{name}_target", "")).strip() or None,
        }
        if name == "no_answer":
            rule["after_seconds"] = _int_or_text(str(form.get("fw_no_answer_after_seconds", "")))
        if name == "schedule":
            rule["start"] = str(form.get("fw_schedule_start", "")).strip()
            rule["end"] = str(form.get("fw_schedule_end", "")).strip()
            rule["days"] = [d for d, _ in DAYS if form.get(f"fw_schedule_day_{d}") == "on"]
        rules[name] = rule
    return rules


def data_from_form(form: Mapping[str, Any], *, new: bool, getlist: Any) -> dict[str, Any]:
    """The account body the form describes. Empty numbers stay empty strings (the model says
    what is wrong); an empty password on an existing account means "unchanged"."""
    data: dict[str, Any] = {}
    for name in _PLAIN:
        data[name] = str(form.get(name, "")).strip()
    for name in _NUMBERS:
        text = str(form.get(name, "")).strip()
        if name == "extension" and not text:
            continue
        data[name] = _int_or_text(text)
    for name in _CHECKBOXES:
        data[name] = form.get(name) == "on"
    agent = str(form.get("agent_id", "")).strip()
    data["agent_id"] = _int_or_text(agent) if agent else None
    data["transports"] = [str(t) for t in getlist("transports")]
    data["codecs"] = [c.strip() for c in str(form.get("codecs", "")).split(",") if c.strip()]
    data["forwarding"] = forwarding_from_form(form)
    if not data["sip_password"] and not new:
        del data["sip_password"]
    return data


def _where(error: Any) -> str:
    """The dotted field of a schema error, with the field a model check names in its
    context (``validators.fail(..., field=...)``)."""
    parts = [str(x) for x in error["loc"] if not isinstance(x, int)]
    extra = (error.get("ctx") or {}).get(FIELD_CTX_KEY)
    if isinstance(extra, str):
        parts.extend(p for p in extra.split(".") if p)
    return ".".join(parts)


def validate(
    data: dict[str, Any], *, new: bool, stored_forwarding: Any = None
) -> tuple[AccountFields | None, dict[str, str]]:
    """(the API body, {field: message}) from the API's model and the profile schema's
    forwarding rules; errors are keyed by form field (``forwarding.always.target``...).

    Forwarding that means the same as the stored rules is left out of the body, so saving
    other fields neither rewrites nor audits it."""
    errors: dict[str, str] = {}
    for name, value in data.items():
        unstorable = unstorable_text(value, name)
        if unstorable is not None:  # the JSON API's guard refuses it in a body
            where, _sep, message = unstorable.partition(": ")
            errors[where if name == "forwarding" else name] = message
    body_data = dict(data)
    try:
        rules = ForwardingSettings.model_validate(data["forwarding"])
    except ValidationError as exc:
        for err in exc.errors():
            field = _where(err)
            errors.setdefault(f"forwarding.{field}" if field else "forwarding", err["msg"])
    else:
        if stored_forwarding is not None:
            stored = ForwardingSettings.model_validate(stored_forwarding or {})
            if stored.model_dump(mode="json") == rules.model_dump(mode="json"):
                del body_data["forwarding"]
    model = AccountCreate if new else AccountFields
    try:
        body: AccountFields = model.model_validate(body_data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = str(loc[0]) if loc else ""
            if field != "forwarding":
                errors.setdefault(field, err["msg"])
        return None, errors
    return (None if errors else body), errors


def service_errors(exc: ApiError) -> tuple[dict[str, str], str]:
    """({field: message}, message for the whole form) from a service's refusal."""
    fields: dict[str, str] = {}
    for problem in exc.problems:
        field = str(problem.get("field", ""))
        if field:
            fields[field] = str(problem.get("message") or exc.message)
    return fields, ("" if fields else exc.message)


def form_values(details: Mapping[str, Any]) -> dict[str, Any]:
    """The editor's values from ``accounts.account_details`` (never a password)."""
    values = dict(details)
    values["codecs"] = ", ".join(details.get("codecs", []))
    values["transports"] = list(details.get("transports", []))
    fw = ForwardingSettings.model_validate(details.get("forwarding") or {})
    values["fw"] = fw.model_dump(mode="json")
    return values


def values_from_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The editor's values as the admin typed them, to show again beside the errors."""
    values = {k: v for k, v in data.items() if k not in ("sip_password", "forwarding")}
    values["codecs"] = ", ".join(data.get("codecs", []))
    fw: dict[str, Any] = {}
    for name, rule in data["forwarding"].items():
        fw[name] = {**rule, "target": rule.get("target") or ""}
    values["fw"] = fw
    return values
