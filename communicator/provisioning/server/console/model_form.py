"""Editors drawn from the API's pydantic models (the group and agent editors).

Each field of the request model (``GroupFields``, ``AgentFields``...) becomes a form field by
its type: ``Literal`` and enums a select, ``bool`` a checkbox, numbers a numeric input,
strings a text input, a nested model a fieldset of its own, a list of two-text models one
line per item (``code: label``), anything else JSON. A field whose null is a choice of its own
(``json_schema_extra={"null_choice": words}``, e.g. "Agent's choice") is a select offering
those words for null, and On / Off for a ``bool``. The field's description is its hint and
its bounds are named. A field added to the model appears in the editor with no change here.

Nothing is checked here: the values go to the same model and services as the JSON API, and
their errors are placed beside the field they name.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..errors import ApiError
from ..guards import unstorable_text

INHERIT_SUFFIX = "__inherit"
DB_ID_MAX = 2_147_483_647  # a bound this high is an id's, not worth a hint


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    SELECT = "select"
    CHOICES = "choices"  # a list of enum values: one checkbox each
    LIST = "list"  # a list of plain values, comma-separated
    LINES = "lines"  # a list of two-text models: "first: second" per line
    JSON = "json"
    PASSWORD = "password"
    MODEL = "model"  # a nested model: a fieldset of its own


@dataclasses.dataclass(frozen=True)
class FormField:
    name: str  # dotted for the fields of a nested model
    label: str
    kind: Kind
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    inherit: str = ""  # set: a checkbox "use <inherit>" stands for the value None
    children: tuple[FormField, ...] = ()
    line_keys: tuple[str, str] = ("", "")
    blank: str = ""  # set: the select's empty option (the value None), in these words

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


LABELS = {
    "average_call_duration_s": "Average call duration (seconds)",
    "max_queue_size": "Maximum queue size",
    "wrap_up_s": "Wrap-up (seconds)",
    "wrap_up_extension_s": "Wrap-up extension (seconds)",
    "no_answer_s": "No answer after (seconds)",
    "calls_while_not_ready": "Direct calls ring while not ready",
    "screen_pop_url": "Screen-pop URL",
    "screen_pop_on": "Screen pop opens when",
    "allow_offline_start": "Allow starting offline",
    "not_ready_reasons": "Not-ready reasons",
    "email": "E-mail",
    "call_order": "Call order in group",
    "permission_level": "Permission level (0-100)",
    "hot_desk": "Hot desk",
    "display_name": "Name",
    "group_id": "Group",
    "overflow_group_id": "Overflow group",
    "desktop": "Desktop settings",
    "links": "Call links",
    "sip_trace": "SIP trace",
}
"""Labels where the field's name would read badly; any other field is labelled from its name."""

OPTION_LABELS = {
    "random": "Random",
    "simultaneous": "All group members at once",
    "least_busy": "The least busy member",
    "in_order": "In order (each for the ring time)",
    "round_robin": "Round robin",
    "longest_idle": "The one idle longest",
    "dial": "Dial",
    "fill": "Fill in",
}

TOGGLE_OPTIONS = (("on", "On"), ("off", "Off"))
"""A ``bool`` whose null is a choice of its own (the model reads "on" and "off" as booleans)."""


def label_of(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    words = name.split("_")
    if words[-1] == "s" and len(words) > 1:
        return " ".join(words[:-1]).capitalize() + " (seconds)"
    return " ".join(words).capitalize()


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(the type inside Optional/Annotated, the metadata met on the way, whether None may be)."""
    meta: list[Any] = []
    optional = False
    t = annotation
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t, *extra = get_args(t)
            meta.extend(extra)
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(t) if a is not type(None)]
            optional = optional or len(args) < len(get_args(t))
            if len(args) == 1:
                t = args[0]
                continue
        return t, meta, optional


def _constraints(meta: Iterable[Any]) -> tuple[list[Any], str]:
    """(every constraint, the description) of a field's metadata."""
    flat: list[Any] = []
    description = ""
    for m in meta:
        if isinstance(m, FieldInfo):
            flat.extend(m.metadata)
            description = description or (m.description or "")
        else:
            flat.append(m)
    return flat, description


def _bounds(flat: Iterable[Any]) -> str:
    low: Any = next((m.ge for m in flat if isinstance(m, Ge)), None)
    high: Any = next((m.le for m in flat if isinstance(m, Le)), None)
    if low is not None and high is not None and high < DB_ID_MAX:
        return f"{low} to {high}."
    return ""


def _for_people(description: str) -> str:
    """The API's words for null ("null = the group's", "(null: none)") left out: the form
    says it with its own controls (an empty field, a "use ..." box)."""
    text = re.sub(r"\s*\(null[^)]*\)", "", description)
    return re.sub(r";\s*null = [^.;]*", "", text).strip()


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _options(t: Any) -> tuple[tuple[str, str], ...] | None:
    if get_origin(t) is Literal:
        values = [str(v) for v in get_args(t)]
    elif isinstance(t, type) and issubclass(t, enum.Enum):
        values = [str(m.value) for m in t]
    else:
        return None
    return tuple((v, OPTION_LABELS.get(v, v.replace("_", " ").capitalize())) for v in values)


def _two_texts(model: type[BaseModel]) -> tuple[str, str] | None:
    names = list(model.model_fields)
    if len(names) != 2:
        return None
    if any(_unwrap(model.model_fields[n].annotation)[0] is not str for n in names):
        return None
    return names[0], names[1]


def _field(name: str, info: FieldInfo, inherit: str) -> FormField:
    t, meta, _optional = _unwrap(info.annotation)
    flat, inner_description = _constraints([*meta, *info.metadata])
    # An agent's own setting reads best with its type's words (what it does), not the
    # field's (that null means the group's).
    description = (inner_description or info.description) if inherit else info.description
    description = _for_people(description or inner_description)
    hint = " ".join(x for x in (description, _bounds(flat)) if x)
    leaf = name.rsplit(".", 1)[-1]
    common: dict[str, Any] = {"name": name, "label": label_of(leaf), "hint": hint}
    if inherit:
        common["inherit"] = inherit
    options = _options(t)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    null_choice = str(extra.get("null_choice") or "")
    if null_choice and t is bool:
        options = TOGGLE_OPTIONS
    if options is not None:
        return FormField(kind=Kind.SELECT, options=options, blank=null_choice, **common)
    if t is bool:
        return FormField(kind=Kind.CHECKBOX, **common)
    if t in (int, float):
        return FormField(kind=Kind.NUMBER, **common)
    if t is str:
        kind = Kind.PASSWORD if "password" in leaf else Kind.TEXT
        return FormField(kind=kind, **common)
    if _is_model(t):
        children = tuple(
            _field(f"{name}.{n}", i, "") for n, i in t.model_fields.items() if i.exclude is not True
        )
        return FormField(kind=Kind.MODEL, children=children, **common)
    if get_origin(t) is list:
        (item,) = get_args(t)
        inner, _m, _o = _unwrap(item)
        item_options = _options(inner)
        if item_options is not None:
            return FormField(kind=Kind.CHOICES, options=item_options, **common)
        if _is_model(inner) and (keys := _two_texts(inner)) is not None:
            hint = f"One per line, as {keys[0]}: {keys[1]}. " + hint
            common["hint"] = hint.strip()
            return FormField(kind=Kind.LINES, line_keys=keys, **common)
        if inner in (int, str, float):
            common["hint"] = ("Comma-separated. " + hint).strip()
            return FormField(kind=Kind.LIST, **common)
    return FormField(kind=Kind.JSON, **{**common, "hint": ("JSON. " + hint).strip()})


def fields_of(
    model: type[BaseModel], *, skip: Iterable[str] = (), inherit: Mapping[str, str] | None = None
) -> tuple[FormField, ...]:
    """The form fields of ``model`` in its order; ``inherit`` maps a field to the words of its
    "use ..." checkbox (the value None: e.g. the group's value for an agent)."""
    skipped = set(skip)
    inherit = inherit or {}
    return tuple(
        _field(name, info, inherit.get(name, ""))
        for name, info in model.model_fields.items()
        if name not in skipped
    )


# ---------------------------------------------------------------------------- form -> data


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # the model says what is wrong


def _lines(text: str, keys: tuple[str, str]) -> list[dict[str, str]]:
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        first, sep, second = line.partition(":")
        items.append({keys[0]: first.strip(), keys[1]: second.strip() if sep else ""})
    return items


def data_from_form(
    fields: Iterable[FormField],
    get: Callable[[str], Any],
    getlist: Callable[[str], list[Any]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the body the form describes, errors found reading it: JSON that does not parse, text
    no database stores: a NUL character).

    An empty number or select sends None, as a checked "use ..." box does: the API's
    services read None as "none" where a field may be empty (a group's overflow), "the
    group's" for an agent's own setting, and "unchanged" elsewhere. An empty password is
    left out (unchanged)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        key = f.name.rsplit(".", 1)[-1]
        unstorable = unstorable_text(getlist(f.name))
        if unstorable is not None:  # the JSON API's guard refuses it in a body
            errors[f.name] = unstorable.partition(": ")[2]
            continue
        text = str(get(f.name) or "").strip() if f.kind is not Kind.PASSWORD else ""
        if f.inherit and get(f.name + INHERIT_SUFFIX) == "on":
            data[key] = None
        elif f.kind is Kind.CHECKBOX:
            data[key] = get(f.name) == "on"
        elif f.kind is Kind.NUMBER:
            data[key] = _number(text) if text else None
        elif f.kind is Kind.SELECT:
            data[key] = text or None
        elif f.kind is Kind.PASSWORD:
            secret = str(get(f.name) or "")
            if secret:
                data[key] = secret
        elif f.kind is Kind.CHOICES:
            data[key] = [str(v) for v in getlist(f.name)]
        elif f.kind is Kind.LIST:
            data[key] = [_number(v.strip()) for v in text.split(",") if v.strip()]
        elif f.kind is Kind.LINES:
            data[key] = _lines(str(get(f.name) or ""), f.line_keys)
        elif f.kind is Kind.MODEL:
            data[key], inner = data_from_form(f.children, get, getlist)
            errors.update(inner)
        elif f.kind is Kind.JSON:
            if text:
                try:
                    data[key] = json.loads(text)
                except (ValueError, RecursionError):
                    errors[f.name] = "Not valid JSON."
        else:
            data[key] = text
    return data, errors


def _names(fields: Iterable[FormField]) -> set[str]:
    out: set[str] = set()
    for f in fields:
        out.add(f.name)
        out |= _names(f.children)
    return out


def validation_errors(
    exc: ValidationError, fields: Iterable[FormField], extra: Iterable[str] = ()
) -> tuple[dict[str, str], str]:
    """({form field: message}, message for the whole form) from the model's refusal: an
    error goes to the deepest form field its location names."""
    known = _names(fields) | set(extra)
    errors: dict[str, str] = {}
    loose: list[str] = []
    for err in exc.errors():
        parts = [str(x) for x in err["loc"] if not isinstance(x, int)]
        where = ""
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in known:
                where = ".".join(parts[:n])
                break
        if where:
            errors.setdefault(where, err["msg"])
        else:
            loose.append(f"{'.'.join(parts) or 'form'}: {err['msg']}")
    return errors, "; ".join(loose)


def service_errors(
    exc: ApiError, fields: Iterable[FormField], words: Mapping[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """({field: message}, message for the whole form) from a service's refusal: the field its
    problems name, else the field of the first of ``words`` (word -> field) the message
    begins with (``extension 105 is already in use`` -> extension)."""
    known = _names(fields) | set((words or {}).values())
    errors = {
        str(p["field"]): str(p.get("message") or exc.message)
        for p in exc.problems
        if str(p.get("field", "")) in known
    }
    if not errors:
        lowered = exc.message.lower()
        for word, field in (words or {}).items():
            if lowered.startswith(word):
                errors[field] = exc.message
                break
    return errors, ("" if errors else exc.message)


# ---------------------------------------------------------------------------- data -> form


def values_of(fields: Iterable[FormField], data: Mapping[str, Any]) -> dict[str, Any]:
    """{form field: what its input shows} from an ``...Out`` model dump (or a failed form's
    body); ``name + INHERIT_SUFFIX`` is True where the value is None (the inherited one)."""
    values: dict[str, Any] = {}
    for f in fields:
        key = f.name.rsplit(".", 1)[-1]
        value = data.get(key)
        if f.inherit:
            values[f.name + INHERIT_SUFFIX] = key in data and value is None
        if f.kind is Kind.MODEL:
            values.update(values_of(f.children, value if isinstance(value, Mapping) else {}))
        elif f.kind is Kind.LINES:
            a, b = f.line_keys
            values[f.name] = "\n".join(
                f"{item.get(a, '')}: {item.get(b, '')}"
                for item in value or []
                if isinstance(item, Mapping)
            )
        elif f.kind is Kind.LIST:
            values[f.name] = ", ".join(str(v) for v in value or [])
        elif f.kind is Kind.JSON:
            values[f.name] = "" if value is None else json.dumps(value)
        elif f.kind is Kind.CHOICES:
            values[f.name] = [str(v) for v in value or []]
        elif f.kind is Kind.PASSWORD:
            values[f.name] = ""
        elif f.kind is Kind.SELECT and isinstance(value, bool):
            values[f.name] = "on" if value else "off"
        else:
            values[f.name] = value
    return values
