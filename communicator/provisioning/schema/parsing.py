"""Turning a profile document (JSON text, bytes or a mapping) into a :class:`VoipProfile`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_core import ErrorDetails

from .errors import Problem, ProfileError
from .profile import SCHEMA_VERSION, VoipProfile
from .validators import FIELD_CTX_KEY, describe, type_name

__all__ = ["MAX_DOCUMENT_BYTES", "format_path", "parse_profile"]

MAX_DOCUMENT_BYTES = 1_000_000
"""Documents larger than this are rejected before parsing."""

_SECRET_WORDS = ("password", "secret", "token")
_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class _DocumentError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def parse_profile(data: bytes | bytearray | str | Mapping[str, object]) -> VoipProfile:
    """Validate a profile document and return the frozen :class:`VoipProfile`.

    ``data`` is JSON text (``str`` or UTF-8 ``bytes``) or an already-decoded mapping.
    Raises :class:`ProfileError` for anything wrong: invalid JSON, a non-object document,
    a newer schema version, or invalid fields (all of them listed in ``.problems``).
    """
    problems: list[Problem]
    try:
        document = _load(data)
    except _DocumentError as exc:
        problems = [Problem("", exc.problem)]
    else:
        version = document.get("schema_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            problems = [
                Problem(
                    "schema_version",
                    f"version {describe(version)} is newer than this client supports "
                    f"(version {SCHEMA_VERSION}); please update Communicator",
                )
            ]
        else:
            try:
                return VoipProfile.model_validate(document)
            except ValidationError as exc:
                problems = [_problem(error) for error in exc.errors(include_url=False)]
    # Raised outside the except blocks so no exception carrying input values is chained.
    raise ProfileError(problems)


def _load(data: object) -> dict[str, Any]:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise _DocumentError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _DocumentError("the document is not valid UTF-8 text") from None
    elif isinstance(data, str):
        text = data
        if len(text) > MAX_DOCUMENT_BYTES:
            raise _DocumentError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    elif isinstance(data, Mapping):
        text = _dump_mapping(data)
    else:
        raise _DocumentError(f"expected JSON text, bytes or a mapping (got {type(data).__name__})")
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NonFiniteError:
        raise _DocumentError("the document contains a number that is not finite") from None
    except json.JSONDecodeError as exc:
        raise _DocumentError(
            f"the document is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise _DocumentError("the document is nested too deeply") from None
    if not isinstance(document, dict):
        raise _DocumentError(f"the document must be a JSON object (got {type_name(document)})")
    return document


def _dump_mapping(data: Mapping[Any, Any]) -> str:
    try:
        text = json.dumps(data, default=_json_default, allow_nan=False)
    except RecursionError:
        raise _DocumentError("the document is nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise _DocumentError(f"the document cannot be represented as JSON: {exc}") from None
    if len(text) > MAX_DOCUMENT_BYTES:
        raise _DocumentError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    return text


def _json_default(value: object) -> object:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | list | set | frozenset):
        return list(value)
    raise TypeError(f"values of type {type(value).__name__} are not allowed")


class _NonFiniteError(ValueError):
    pass


def _reject_constant(name: str) -> object:
    raise _NonFiniteError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFiniteError(text)
    return value


# ---------------------------------------------------------------------------- error messages


def format_path(loc: Sequence[str | int]) -> str:
    """Render a location as a dotted path.

    ``("sip", "port")`` gives ``sip.port``; ``("media", "codecs", 2)`` gives ``media.codecs[2]``.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _location(error: ErrorDetails) -> list[str | int]:
    loc: list[str | int] = list(error["loc"])
    extra = (error.get("ctx") or {}).get(FIELD_CTX_KEY)
    if isinstance(extra, int):
        loc.append(extra)
    elif isinstance(extra, str):
        for index, name in _PATH_TOKEN.findall(extra):
            loc.append(int(index) if index else name)
    return loc


def _is_secret(loc: Sequence[str | int]) -> bool:
    return any(
        isinstance(part, str) and any(word in part.lower() for word in _SECRET_WORDS)
        for part in loc
    )


_TYPE_MESSAGES = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _problem(error: ErrorDetails) -> Problem:
    loc = _location(error)
    secret = _is_secret(loc)
    value = error.get("input")
    got = type_name(value) if secret else describe(value)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "profile":
        message = error["msg"]
    elif kind == "missing":
        message = "is required"
    elif kind in _TYPE_MESSAGES:
        message = f"{_TYPE_MESSAGES[kind]} (got {got})"
    elif kind in ("enum", "literal_error"):
        message = f"must be one of {ctx.get('expected', '?')} (got {got})"
    else:
        text = error["msg"]
        message = (text[:1].lower() + text[1:]) if text else "is invalid"
    return Problem(format_path(loc), message)
