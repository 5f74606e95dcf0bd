"""parse_profile's error reporting: only ProfileError, readable messages, never secrets."""

from __future__ import annotations

import json
import traceback
from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import SecretStr
from schema_examples import EXAMPLE_PASSWORD, example_profile_dict, set_in

from communicator.provisioning.schema import (
    MAX_DOCUMENT_BYTES,
    Problem,
    ProfileError,
    parse_profile,
)


def reject(data: Any) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        parse_profile(data)
    return info.value


@pytest.mark.parametrize(
    "text",
    ["", "{", "{'a': 1}", '{"a": 1,}', "null x", "\x00", '{"agent": NaN}', "[1, 2"],
)
def test_invalid_json(text: str) -> None:
    err = reject(text)
    assert err.field == ""
    assert str(err).startswith("Invalid profile: the document ")
    assert "Traceback" not in str(err)
    assert err.problems == (Problem("", err.problem),)


def test_invalid_json_message_names_the_position() -> None:
    err = reject('{"agent": }')
    assert err.problem.startswith("the document is not valid JSON: Expecting value at line 1")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("[]", "a list"),
        ('"x"', "a string"),
        ("42", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ],
)
def test_non_object_json(text: str, kind: str) -> None:
    err = reject(text)
    assert err.field == ""
    assert err.problem == f"the document must be a JSON object (got {kind})"


def test_bytes_must_be_utf8() -> None:
    assert reject(b"\xff\xfe{}").problem == "the document is not valid UTF-8 text"
    doc = example_profile_dict()
    assert parse_profile(b"\xef\xbb\xbf" + json.dumps(doc).encode()).revision == 7
    assert parse_profile(bytearray(json.dumps(doc).encode())).revision == 7


def test_non_finite_numbers_are_rejected() -> None:
    for text in ('{"x": Infinity}', '{"x": -Infinity}', '{"x": 1e999}'):
        assert reject(text).problem == "the document contains a number that is not finite"
    assert "JSON" in reject(set_in(example_profile_dict(), "x", float("nan"))).problem


def test_too_large_and_too_deep_documents() -> None:
    assert "larger than" in reject(" " * (MAX_DOCUMENT_BYTES + 1)).problem
    assert "larger than" in reject(b" " * (MAX_DOCUMENT_BYTES + 1)).problem
    deep = "[" * 100_000 + "]" * 100_000
    err = reject('{"x": ' + deep[: MAX_DOCUMENT_BYTES - 10] + "}")
    assert err.field == ""


def test_unsupported_input_types() -> None:
    err = reject(12)
    assert err.problem == "expected JSON text, bytes or a mapping (got int)"
    err = reject([1, 2])
    assert err.field == ""


def test_mapping_inputs() -> None:
    doc = example_profile_dict()
    expected = parse_profile(doc)
    assert parse_profile(MappingProxyType(doc)) == expected
    assert parse_profile(OrderedDict(doc)) == expected
    doc["sip"] = MappingProxyType({**doc["sip"], "password": SecretStr(EXAMPLE_PASSWORD)})
    doc["sip"] = dict(doc["sip"], transports=("tls", "tcp", "udp"))
    assert parse_profile(doc) == expected


def test_mapping_with_non_json_values() -> None:
    err = reject(set_in(example_profile_dict(), "agent.login", object()))
    assert err.field == ""
    assert "cannot be represented as JSON" in err.problem
    loop: dict[str, Any] = example_profile_dict()
    loop["self"] = loop
    assert reject(loop).field == ""


# ------------------------------------------------------------------------ schema version


@pytest.mark.parametrize("version", [2, 3, 100])
def test_newer_schema_version_asks_for_an_update(version: int) -> None:
    # A newer document may have a different shape: only the version is reported.
    err = reject({"schema_version": version, "whatever": True})
    assert err.field == "schema_version"
    assert "newer than this client supports" in err.problem
    assert "please update Communicator" in err.problem
    assert len(err.problems) == 1
    doc = set_in(example_profile_dict(), "schema_version", version)
    assert "please update" in reject(doc).problem


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_other_bad_schema_versions(version: object) -> None:
    err = reject(set_in(example_profile_dict(), "schema_version", version))
    assert err.field == "schema_version"
    assert "update" not in err.problem


def test_missing_schema_version_means_version_1() -> None:
    doc = example_profile_dict()
    del doc["schema_version"]
    assert parse_profile(doc).schema_version == 1


# ---------------------------------------------------------------------------- messages


def test_several_problems_are_counted() -> None:
    doc = example_profile_dict()
    doc["sip"]["port"] = 70000
    doc["agent"]["max_lines"] = 13
    doc["media"]["dtmf"] = "inband"
    err = reject(doc)
    assert [p.field for p in err.problems] == ["agent.max_lines", "sip.port", "media.dtmf"]
    assert str(err) == (
        "Invalid profile: agent.max_lines: must be between 1 and 12 (got 13) (and 2 more problems)"
    )
    assert (err.field, err.problem) == ("agent.max_lines", "must be between 1 and 12 (got 13)")
    doc["media"]["dtmf"] = "rfc4733"
    doc["agent"]["max_lines"] = 2
    assert str(reject(doc)).endswith("(got 70000)")
    doc["agent"]["max_lines"] = 0
    assert str(reject(doc)).endswith("(and 1 more problem)")


def test_error_is_a_value_error_without_pydantic_context() -> None:
    err = reject(set_in(example_profile_dict(), "sip.port", "x"))
    assert isinstance(err, ValueError)
    assert err.__cause__ is None
    assert err.__context__ is None
    assert "pydantic" not in str(err).lower()
    assert "errors.pydantic.dev" not in "".join(traceback.format_exception(err))
    assert repr(err) == f"ProfileError({str(err)!r})"


def test_long_values_are_truncated_in_messages() -> None:
    err = reject(set_in(example_profile_dict(), "media.dtmf", "x" * 500))
    assert len(str(err)) < 200
    err = reject(set_in(example_profile_dict(), "sip.port", 10**80))
    assert len(str(err)) < 200


@pytest.mark.parametrize(
    "password",
    [
        12345,
        1.5,
        True,
        ["Sup3r-Secret!pw"],
        {"v": "Sup3r-Secret!pw"},
        "Sup3r\nSecret!pw",
        "Sup3r-Secret!pw" * 40,
    ],
)
def test_secrets_never_appear_in_errors(password: object) -> None:
    doc = set_in(example_profile_dict(), "sip.password", password)
    doc["sip"]["port"] = 0  # an unrelated problem too
    err = reject(doc)
    text = "\n".join(
        [str(err), repr(err), *map(str, err.problems), *traceback.format_exception(err)]
    )
    fields = [p.field for p in err.problems]
    assert "sip.password" in fields
    for secret in ("12345", "1.5", "Sup3r", "Secret!pw"):
        assert secret not in text


def test_secret_looking_unknown_fields_are_not_echoed() -> None:
    doc = example_profile_dict()
    doc["sip"]["x_future"] = 1
    doc["agent"] = "hunter2-token"
    doc["sip"]["password"] = 5
    err = reject(doc)
    assert "hunter2" in str(err.problems[0])  # ordinary fields do show their value
    assert "(got a number)" in str(err.problems[1])


def test_problem_str() -> None:
    assert str(Problem("sip.port", "is required")) == "sip.port: is required"
    assert str(Problem("", "bad")) == "bad"
    assert str(ProfileError([])) == "Invalid profile: the document was rejected"
    assert ProfileError.single("a.b", "c").problems == (Problem("a.b", "c"),)
