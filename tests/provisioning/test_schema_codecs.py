"""Codec names, aliases and the availability report."""

from __future__ import annotations

from typing import Any

import pytest
from schema_examples import example_profile_dict

from communicator.provisioning.schema import (
    CANONICAL_CODECS,
    CodecReport,
    ProfileError,
    build_codec_report,
    canonical_codec,
    parse_profile,
)

PJSUA2_CODECS = ["PCMU/8000/1", "PCMA/8000/1", "G722/16000/1", "GSM/8000/1", "speex/8000/1"]
"""What this pjsua2 build offers: no opus, no G729, no iLBC."""


def with_codecs(codecs: list[Any]) -> dict[str, Any]:
    doc = example_profile_dict()
    doc["media"]["codecs"] = codecs
    return doc


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("ulaw", "PCMU"),
        ("ULAW", "PCMU"),
        ("g711u", "PCMU"),
        ("G.711u", "PCMU"),
        ("pcmu", "PCMU"),
        ("alaw", "PCMA"),
        ("G711A", "PCMA"),
        ("pcma", "PCMA"),
        ("g722", "G722"),
        ("gsm", "GSM"),
        ("ilbc", "iLBC"),
        ("OPUS", "opus"),
        ("Speex", "speex"),
        ("g729", "G729"),
        ("g729a", "G729"),
    ],
)
def test_aliases_are_canonicalised(alias: str, canonical: str) -> None:
    assert canonical_codec(alias) == canonical
    assert parse_profile(with_codecs([alias])).media.codecs == (canonical,)


def test_canonical_names_map_to_themselves() -> None:
    for name in CANONICAL_CODECS:
        assert canonical_codec(name) == name
    assert canonical_codec("PCMU/8000/1") == "PCMU"
    assert canonical_codec("amr-wb") is None


def test_order_is_kept_and_unknown_names_are_kept_as_given() -> None:
    profile = parse_profile(with_codecs(["alaw", "AMR-WB", "ulaw", "G.729", "MyCodec"]))
    assert profile.media.codecs == ("PCMA", "AMR-WB", "PCMU", "G729", "MyCodec")


@pytest.mark.parametrize(
    ("codecs", "index"),
    [
        (["PCMU", "ulaw"], 1),
        (["alaw", "g711a"], 1),
        (["foo", "FOO"], 1),
        (["G722", "gsm", "g722"], 2),
    ],
)
def test_duplicates_are_rejected(codecs: list[str], index: int) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(with_codecs(codecs))
    assert info.value.field == f"media.codecs[{index}]"
    assert "more than once" in info.value.problem


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ([], "media.codecs"),
        ([""], "media.codecs[0]"),
        (["PC MU"], "media.codecs[0]"),
        ([8], "media.codecs[0]"),
    ],
)
def test_invalid_codec_lists(bad: list[Any], field: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(with_codecs(bad))
    assert info.value.field == field


def test_codec_report_splits_usable_unknown_unavailable() -> None:
    profile = parse_profile(with_codecs(["opus", "G722", "amr", "ulaw", "G729", "ilbc", "speex"]))
    report = profile.codec_report(PJSUA2_CODECS)
    assert report == CodecReport(
        usable=("G722", "PCMU", "speex"),
        unknown=("amr",),
        unavailable=("opus", "G729", "iLBC"),
    )
    assert not report.complete
    text = report.describe()
    assert "using G722, PCMU, speex" in text
    assert "unknown: amr" in text
    assert "not available in this build: opus, G729, iLBC" in text


def test_codec_report_with_everything_available() -> None:
    profile = parse_profile(with_codecs(["PCMU", "PCMA"]))
    report = profile.codec_report(["pcmu", "PCMA/8000/1", "something-else"])
    assert report.complete
    assert report.usable == ("PCMU", "PCMA")
    assert report.describe() == "using PCMU, PCMA"


def test_codec_report_nothing_usable() -> None:
    report = build_codec_report(["opus"], [])
    assert report.usable == ()
    assert report.describe().startswith("no usable codec")
