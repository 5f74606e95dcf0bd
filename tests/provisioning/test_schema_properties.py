"""Property-based tests: valid documents round-trip; malformed ones only raise ProfileError."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schema_examples import example_profile_dict
from schema_strategies import json_values, profile_documents

from communicator.provisioning.schema import ProfileError, VoipProfile, parse_profile

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Path = tuple[str | int, ...]


# ------------------------------------------------------------------------------ round trip


@SETTINGS
@given(profile_documents())
def test_valid_documents_round_trip_and_keep_secrets_apart(document: dict[str, Any]) -> None:
    profile = parse_profile(document)
    again = parse_profile(profile.to_json(include_secrets=True))
    assert again == profile
    assert again.etag == profile.etag
    assert again.to_dict(include_secrets=True) == profile.to_dict(include_secrets=True)
    # A second pass is a fixed point and the input document was not modified.
    assert parse_profile(again.to_dict(include_secrets=True)) == profile
    assert parse_profile(json.dumps(document)) == profile
    # Secrets are serialised only when asked for.
    cached = parse_profile(profile.to_json())
    assert not cached.has_secrets
    assert cached == profile.without_secrets()
    assert not cached.sip_settings_differ(profile.without_secrets())
    assert profile.to_dict()["sip"]["password"] is None
    password = profile.sip.password
    if password is not None:
        secret = password.get_secret_value()
        assert profile.to_dict(include_secrets=True)["sip"]["password"] == secret
        assert cached.with_password(secret) == profile


# ------------------------------------------------------------------------------ malformations


def all_paths(node: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside a JSON document (objects and list items)."""
    paths: list[Path] = []
    if isinstance(node, dict):
        for key, value in node.items():
            paths.append((*prefix, key))
            paths.extend(all_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.append((*prefix, index))
            paths.extend(all_paths(value, (*prefix, index)))
    return paths


def parent_of(document: Any, path: Path) -> Any:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


junk = (
    json_values
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, -1, 65536, 10**12, "", " ", "ws", "wss", "\x00", "\n", "{", "}"])
    | st.text(max_size=40)
    | st.lists(json_values, min_size=1, max_size=3)
    | st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=3)
)


@st.composite
def malformed(draw: st.DrawFn) -> tuple[dict[str, Any], Path]:
    """A valid document with one random malformation, and the path that was touched."""
    base = draw(st.sampled_from(["example", "generated"]))
    document = example_profile_dict() if base == "example" else draw(profile_documents())
    document = copy.deepcopy(document)
    path = draw(st.sampled_from(all_paths(document)))
    parent = parent_of(document, path)
    action = draw(st.sampled_from(["replace", "delete", "insert", "wrap"]))
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "insert" and isinstance(parent, dict):
        parent[draw(st.text(max_size=10))] = draw(junk)
    elif action == "wrap":
        parent[last] = draw(st.sampled_from([[parent[last]], {"value": parent[last]}]))
    else:
        parent[last] = draw(junk)
    return document, path


PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def split_field(field: str) -> Path:
    return tuple(int(i) if i else name for i, name in PATH_PART.findall(field))


def exists_in(document: Any, path: Path) -> bool:
    """The path exists in the document, except perhaps a missing last key (required field)."""
    node = document
    for depth, part in enumerate(path):
        in_object = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_object or in_list:
            node = node[part]
        else:
            return depth == len(path) - 1 and isinstance(part, str) and isinstance(node, dict)
    return True


@SETTINGS
@given(malformed())
@example(
    (
        {
            "agent": {"login": "0", "extension": "0", "display_name": ""},
            "sip": {"server": "aa", "password": None, "caller_id": None, "use_sdp": False},
            "equipment": {},
        },
        ("equipment",),
    )
)
def test_malformed_documents_raise_only_profile_error(case: tuple[dict[str, Any], Path]) -> None:
    document, touched = case
    try:
        profile = parse_profile(document)
    except ProfileError as err:
        assert err.problems
        assert (err.field, err.problem) == (err.problems[0].field, err.problems[0].problem)
        assert str(err).startswith(f"Invalid profile: {err.field}")
        for problem in err.problems:
            assert problem.problem
            assert "Traceback" not in problem.problem
            assert problem.field, f"document-level error for a field change: {problem}"
            path = split_field(problem.field)
            assert exists_in(document, path), f"{problem.field} is not in the document"
        # At least one problem is in the section that was touched, or names it: a cross-field
        # rule reports the field it requires ("sip.username: is required when
        # equipment.type is sip_id" after equipment was emptied and its type defaulted).
        assert any(
            split_field(p.field)[0] == touched[0] or f"{touched[0]}." in p.problem
            for p in err.problems
        ), (touched, err.problems)
    else:
        assert isinstance(profile, VoipProfile)
        assert parse_profile(profile.to_json(include_secrets=True)) == profile


@SETTINGS
@given(st.binary(max_size=200) | st.text(max_size=200) | st.builds(json.dumps, json_values))
def test_junk_documents_raise_only_profile_error(data: bytes | str) -> None:
    try:
        parse_profile(data)
    except ProfileError as err:
        assert str(err).startswith("Invalid profile: ")
    # A junk document can never be a valid profile: agent and sip are required.
    else:
        raise AssertionError("junk accepted")


@SETTINGS
@given(st.data())
def test_corrupted_json_text_raises_only_profile_error(data: st.DataObject) -> None:
    text = json.dumps(example_profile_dict())
    start = data.draw(st.integers(0, len(text) - 1))
    length = data.draw(st.integers(1, 20))
    replacement = data.draw(st.text(max_size=20))
    corrupted = text[:start] + replacement + text[start + length :]
    try:
        profile = parse_profile(corrupted.encode())
    except ProfileError as err:
        if err.field:
            # The text was still JSON: the error points into the corrupted document.
            assert exists_in(json.loads(corrupted), split_field(err.field)), err
    else:
        assert isinstance(profile, VoipProfile)
