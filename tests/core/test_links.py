"""Call links (`core.links`): what each well-formed link dials, and the malformed ones refused
with a message that names the problem."""

from __future__ import annotations

import pytest

from communicator.core.dialing import DialPlan, parse_dial_string
from communicator.core.links import CallLink, LinkError, LinkScheme, is_link, parse_link

PLAN = DialPlan(domain="pbx.example.com", country_code="44")


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("sip:2002@pbx.example.com", "sip:2002@pbx.example.com"),
        ("SIP:2002@pbx.example.com", "sip:2002@pbx.example.com"),
        ("sips:anna@pbx.example.com:5061", "sips:anna@pbx.example.com:5061"),
        ("sip:2002@pbx.example.com;transport=tcp", "sip:2002@pbx.example.com;transport=tcp"),
        ("sip:2002@pbx.example.com?subject=hi&priority=urgent", "sip:2002@pbx.example.com"),
        ("sip:%2B442079460958@pbx.example.com", "sip:+442079460958@pbx.example.com"),
        ("sip:2002@[::1]:5070", "sip:2002@[::1]:5070"),
        ("  sip:2002@127.0.0.1  ", "sip:2002@127.0.0.1"),
        ("tel:+44-20-7946-0958", "+442079460958"),
        ("tel:+44%2020%207946%200958", "+442079460958"),
        ("tel:(020) 7946.0958;phone-context=+44", "02079460958"),
        ("tel:2002", "2002"),
        ("callto:+442079460958", "+442079460958"),
        ("callto://+44 20 7946 0958", "+442079460958"),
        ("callto:sip:2002@pbx.example.com", "sip:2002@pbx.example.com"),
        ("callto:2002@pbx.example.com", "sip:2002@pbx.example.com"),
        ("callto:anna.smith", "anna.smith"),
    ],
)
def test_a_well_formed_link_dials_its_address_or_number(link: str, target: str) -> None:
    parsed = parse_link(link)
    assert parsed.target == target
    assert is_link(link)
    parse_dial_string(parsed.target, PLAN)  # what the dial plan then accepts


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ("sip:", "user@host"),
        ("sip:2002", "user@host"),
        ("sip:@pbx.example.com", "no user"),
        ("sip:20 02@pbx.example.com", "user part"),
        ("sip:2002@", "no valid host"),
        ("sip:2002@pbx..example.com!", "no valid host"),
        ("sip:2002@pbx.example.com:99999", "invalid port"),
        ("sip:2002@pbx.example.com:port", "invalid port"),
        ("tel:", "no phone number"),
        ("tel:call-me-maybe", "does not hold a phone number"),
        ("tel:+4420;ext=12", "extension"),
        ("callto:", "no number or address"),
        ("callto:!!!", "does not hold"),
        ("sip:2002@pbx.example.com\nVia: evil", "characters"),
        ("sip:2002@pbx.example.com\x00", "characters"),
        ("sip:" + "1" * 600 + "@pbx.example.com", "too long"),
        ("http://crm.example/", "not a call link"),
        ("2002", "not a call link"),
    ],
)
def test_a_malformed_link_is_refused_with_a_clear_message(link: str, words: str) -> None:
    with pytest.raises(LinkError) as refused:
        parse_link(link)
    message = str(refused.value)
    assert words in message
    assert "\n" not in message and "\x00" not in message
    assert len(message) < 250  # the link is shortened, not quoted whole


def test_links_are_recognised_by_scheme_only() -> None:
    assert is_link("SIPS:x")
    assert is_link("callto:")
    assert not is_link("https://example.com")
    assert not is_link("2002")
    assert parse_link("tel:+442079460958") == CallLink(
        LinkScheme.TEL, "+442079460958", "tel:+442079460958"
    )
