"""Audio codec names: canonical spellings, accepted aliases and the availability report.

The profile lists codecs in order of preference. Known codecs are stored under their canonical
name (``"ulaw"`` becomes ``"PCMU"``); names this client does not know are kept exactly as
given so they can be reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CANONICAL_CODECS",
    "CODEC_ALIASES",
    "DEFAULT_CODECS",
    "CodecReport",
    "build_codec_report",
    "canonical_codec",
]

CANONICAL_CODECS: tuple[str, ...] = ("PCMU", "PCMA", "G722", "GSM", "opus", "speex", "iLBC", "G729")
"""Every codec name the schema knows, in canonical spelling."""

DEFAULT_CODECS: tuple[str, ...] = ("PCMU", "PCMA", "G722", "GSM")
"""Codecs allowed when the profile does not say otherwise."""

CODEC_ALIASES: dict[str, str] = {
    **{name.lower(): name for name in CANONICAL_CODECS},
    "ulaw": "PCMU",
    "u-law": "PCMU",
    "mulaw": "PCMU",
    "mu-law": "PCMU",
    "g711u": "PCMU",
    "g.711u": "PCMU",
    "g711-ulaw": "PCMU",
    "g711ulaw": "PCMU",
    "alaw": "PCMA",
    "a-law": "PCMA",
    "g711a": "PCMA",
    "g.711a": "PCMA",
    "g711-alaw": "PCMA",
    "g711alaw": "PCMA",
    "g.722": "G722",
    "gsm610": "GSM",
    "gsm-fr": "GSM",
    "g.729": "G729",
    "g729a": "G729",
    "g.729a": "G729",
}
"""Lower-cased alias -> canonical name. Lookups are case-insensitive."""


def canonical_codec(name: str) -> str | None:
    """The canonical name for ``name`` (any case, alias or pjsua2 id such as ``PCMU/8000/1``).

    Returns None when the codec is unknown.
    """
    key = name.strip().lower()
    found = CODEC_ALIASES.get(key)
    if found is None and "/" in key:
        found = CODEC_ALIASES.get(key.split("/", 1)[0])
    return found


@dataclass(frozen=True, slots=True)
class CodecReport:
    """Which of the profile's codecs this client can actually use.

    ``usable``: canonical names available in this build, in the profile's order of preference.
    ``unknown``: names the schema does not know, exactly as given in the profile.
    ``unavailable``: known codecs missing from this build (e.g. opus or G729).
    """

    usable: tuple[str, ...]
    unknown: tuple[str, ...]
    unavailable: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every codec in the profile is usable."""
        return not self.unknown and not self.unavailable

    def describe(self) -> str:
        """A one-line human summary, suitable for logs and the status bar."""
        parts = [f"using {', '.join(self.usable)}" if self.usable else "no usable codec"]
        if self.unknown:
            parts.append(f"unknown: {', '.join(self.unknown)}")
        if self.unavailable:
            parts.append(f"not available in this build: {', '.join(self.unavailable)}")
        return "; ".join(parts)


def build_codec_report(codecs: Iterable[str], available: Iterable[str]) -> CodecReport:
    """Split the profile's ``codecs`` according to the codecs ``available`` in the SIP stack.

    ``available`` may use any spelling understood by :func:`canonical_codec`, including pjsua2
    codec ids such as ``"PCMU/8000/1"``; unknown entries in it are ignored.
    """
    have = {found for name in available if (found := canonical_codec(name)) is not None}
    usable: list[str] = []
    unknown: list[str] = []
    unavailable: list[str] = []
    for name in codecs:
        canonical = canonical_codec(name)
        if canonical is None:
            unknown.append(name)
        elif canonical in have:
            usable.append(canonical)
        else:
            unavailable.append(canonical)
    return CodecReport(tuple(usable), tuple(unknown), tuple(unavailable))
