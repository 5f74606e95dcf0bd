from __future__ import annotations

import pytest

from communicator.core.dialing import DialKind, DialPlan, parse_dial_string, to_sip_uri
from communicator.core.errors import InvalidDialStringError, InvalidOperationError
from tests.core.helpers import PLAN

LONDON = "sip:+442079460958@pbx.example.com"


@pytest.mark.parametrize(
    ("typed", "uri", "kind", "number"),
    [
        # SIP URIs are kept (scheme lower-cased)
        ("sip:alice@example.org", "sip:alice@example.org", DialKind.SIP_URI, "alice"),
        ("SIP:alice@example.org", "sip:alice@example.org", DialKind.SIP_URI, "alice"),
        (
            "sips:bob@secure.example.org;transport=tls",
            "sips:bob@secure.example.org;transport=tls",
            DialKind.SIP_URI,
            "bob",
        ),
        ("sip:example.org", "sip:example.org", DialKind.SIP_URI, ""),
        ("sip:100@10.0.0.1:5080", "sip:100@10.0.0.1:5080", DialKind.SIP_URI, "100"),
        ("  alice@example.org  ", "sip:alice@example.org", DialKind.SIP_URI, "alice"),
        ('"Alice" <sip:alice@example.org>', "sip:alice@example.org", DialKind.SIP_URI, "alice"),
        ("<sips:carol@example.org>", "sips:carol@example.org", DialKind.SIP_URI, "carol"),
        # extensions: 2-6 digits, as is
        ("12", "sip:12@pbx.example.com", DialKind.EXTENSION, "12"),
        ("1234", "sip:1234@pbx.example.com", DialKind.EXTENSION, "1234"),
        ("123456", "sip:123456@pbx.example.com", DialKind.EXTENSION, "123456"),
        ("12-34", "sip:1234@pbx.example.com", DialKind.EXTENSION, "1234"),
        ("0100", "sip:0100@pbx.example.com", DialKind.EXTENSION, "0100"),
        # international: + and 00
        ("+44 20 7946 0958", LONDON, DialKind.E164, "+442079460958"),
        ("+442079460958", LONDON, DialKind.E164, "+442079460958"),
        ("0044 20 7946 0958", LONDON, DialKind.E164, "+442079460958"),
        ("+44 (0)20 7946 0958", LONDON, DialKind.E164, "+442079460958"),
        ("+1 (212) 555-0100", "sip:+12125550100@pbx.example.com", DialKind.E164, "+12125550100"),
        ("001.212.555.0100", "sip:+12125550100@pbx.example.com", DialKind.E164, "+12125550100"),
        ("tel:+44-20-7946-0958", LONDON, DialKind.E164, "+442079460958"),
        ("tel:+442079460958;phone-context=x", LONDON, DialKind.E164, "+442079460958"),
        # national: leading 0 -> +CC
        ("020 7946 0958", LONDON, DialKind.E164, "+442079460958"),
        ("(020) 7946-0958", LONDON, DialKind.E164, "+442079460958"),
        ("020.7946.0958", LONDON, DialKind.E164, "+442079460958"),
        ("020/7946 0958", LONDON, DialKind.E164, "+442079460958"),
        ("07700 900123", "sip:+447700900123@pbx.example.com", DialKind.E164, "+447700900123"),
        # other long numbers go to the PBX as they are
        ("2125550100", "sip:2125550100@pbx.example.com", DialKind.OTHER_NUMBER, "2125550100"),
        # feature codes and user names
        ("*72", "sip:*72@pbx.example.com", DialKind.FEATURE_CODE, "*72"),
        ("#31#", "sip:%2331%23@pbx.example.com", DialKind.FEATURE_CODE, "#31#"),
        ("alice", "sip:alice@pbx.example.com", DialKind.USER_NAME, "alice"),
        ("sales.desk", "sip:sales.desk@pbx.example.com", DialKind.USER_NAME, "sales.desk"),
    ],
)
def test_dial_strings_are_normalised(typed: str, uri: str, kind: DialKind, number: str) -> None:
    target = parse_dial_string(typed, PLAN)
    assert (target.uri, target.kind, target.number) == (uri, kind, number)
    assert to_sip_uri(typed, PLAN) == uri


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("", "Enter a number"),
        ("   ", "Enter a number"),
        ("5", "too short"),
        ("+12", "7 to 15 digits"),
        ("+1234567890123456", "7 to 15 digits"),
        ("+0123456789", "country code"),
        ("1234567890123456", "too long"),
        ("++441234567", "not a phone number"),
        ("12ab34", "not a phone number"),
        ("abc def", "not a phone number"),
        ("#$%", "not a phone number"),
        ("sip:", "not a valid SIP address"),
        ("sip:alice@", "no valid host"),
        ("sip:@example.org", "no user"),
        ("@example.org", "no user"),
        ("a b@example.org", "not a valid SIP address"),
        ("alice@exa mple.org", "not a valid SIP address"),
    ],
)
def test_garbage_is_rejected_with_a_message(typed: str, message_part: str) -> None:
    with pytest.raises(InvalidDialStringError, match=message_part):
        parse_dial_string(typed, PLAN)


def test_dial_string_errors_are_invalid_operations() -> None:
    with pytest.raises(InvalidOperationError):
        to_sip_uri("", PLAN)


def test_country_code_may_be_written_with_plus_and_sips_scheme_is_used() -> None:
    plan = DialPlan(domain="pbx.example.com", country_code="+49", scheme="sips")
    assert to_sip_uri("030 1234567", plan) == "sips:+49301234567@pbx.example.com"
    assert to_sip_uri("100", plan) == "sips:100@pbx.example.com"
    assert to_sip_uri("bob@example.org", plan) == "sips:bob@example.org"


def test_extension_lengths_come_from_the_plan() -> None:
    plan = DialPlan(domain="pbx.example.com", country_code="1", max_extension_digits=4)
    assert parse_dial_string("1234", plan).kind is DialKind.EXTENSION
    assert parse_dial_string("12345", plan).kind is DialKind.OTHER_NUMBER


@pytest.mark.parametrize(
    "kwargs",
    [
        {"domain": "", "country_code": "44"},
        {"domain": "bad domain", "country_code": "44"},
        {"domain": "pbx.example.com", "country_code": "4444"},
        {"domain": "pbx.example.com", "country_code": "uk"},
        {"domain": "pbx.example.com", "country_code": "44", "scheme": "http"},
        {"domain": "pbx.example.com", "country_code": "44", "min_extension_digits": 0},
        {"domain": "pbx.example.com", "country_code": "44", "max_extension_digits": 7},
    ],
)
def test_bad_dial_plans_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DialPlan(**kwargs)  # type: ignore[arg-type]


def test_without_a_country_code_national_numbers_are_dialled_as_typed() -> None:
    plan = DialPlan(domain="pbx.example.com", country_code="")
    target = parse_dial_string("020 7946 0958", plan)
    assert target.uri == "sip:02079460958@pbx.example.com"
    assert parse_dial_string("+44 20 7946 0958", plan).uri == "sip:+442079460958@pbx.example.com"
