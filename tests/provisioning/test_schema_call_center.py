"""Screen-pop URL templates: validation of scheme, host and placeholders; rendering."""

from __future__ import annotations

import pytest
from schema_examples import example_profile_dict, set_in

from communicator.provisioning.schema import (
    SCREEN_POP_PLACEHOLDERS,
    ProfileError,
    parse_profile,
    render_url_template,
)


def screen_pop(url: object) -> str | None:
    doc = set_in(example_profile_dict(), "call_center.screen_pop_url", url)
    return parse_profile(doc).call_center.screen_pop_url


def screen_pop_error(url: object) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        screen_pop(url)
    assert info.value.field == "call_center.screen_pop_url"
    return info.value


def test_documented_placeholders() -> None:
    assert SCREEN_POP_PLACEHOLDERS == (
        "number",
        "name",
        "extension",
        "agent",
        "call_id",
        "direction",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com/pop?n={number}&c={name}&e={extension}&a={agent}"
        "&id={call_id}&d={direction}",
        "http://10.0.0.8:8080/calls/{call_id}",
        "https://crm.example.com/static",
        "https://crm.example.com/x?json={{literal}}",
        None,
    ],
)
def test_valid_templates(url: str | None) -> None:
    assert screen_pop(url) == url


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://crm.example.com/?q={caller}", "unknown placeholder {caller}"),
        ("https://crm.example.com/?q={}", "unknown placeholder {}"),
        ("https://crm.example.com/?q={0}", "unknown placeholder {0}"),
        ("https://crm.example.com/?q={number.real}", "unknown placeholder"),
        ("https://crm.example.com/?q={number!r}", "format or conversion"),
        ("https://crm.example.com/?q={number:>10}", "format or conversion"),
        ("https://crm.example.com/?q={number", "unbalanced braces"),
        ("https://crm.example.com/?q=number}", "unbalanced braces"),
        ("ftp://crm.example.com/{number}", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("crm.example.com/{number}", "http or https"),
        ("https:///path", "http or https"),
        ("https://{agent}.crm.example.com/", "scheme or host"),
        ("https://crm.exa mple.com/", "spaces"),
        ("https://crm_1.example.com/", "valid host"),
        ("", "must not be empty"),
    ],
)
def test_invalid_templates(url: str, fragment: str) -> None:
    assert fragment in screen_pop_error(url).problem


def test_wrong_type() -> None:
    assert screen_pop_error(42).problem == "must be a string (got 42)"


def test_render_url_encodes_values() -> None:
    doc = set_in(
        example_profile_dict(),
        "call_center.screen_pop_url",
        "https://crm.example.com/pop/{agent}?number={number}&name={name}&d={direction}"
        "&id={call_id}&x={extension}",
    )
    cc = parse_profile(doc).call_center
    url = cc.render_screen_pop(
        number="+48 22 123",
        name="Zoë & Co/?#",
        agent="j.doe",
        direction="inbound",
        call_id="abc@host",
        extension="1001",
    )
    assert url == (
        "https://crm.example.com/pop/j.doe?number=%2B48%2022%20123"
        "&name=Zo%C3%AB%20%26%20Co%2F%3F%23&d=inbound&id=abc%40host&x=1001"
    )


def test_render_missing_values_are_empty_and_literal_braces_survive() -> None:
    template = "https://crm.example.com/?q={number}&j={{x}}"
    assert render_url_template(template, {}) == "https://crm.example.com/?q=&j={x}"
    assert render_url_template(template, {"number": "{1}"}) == (
        "https://crm.example.com/?q=%7B1%7D&j={x}"
    )
