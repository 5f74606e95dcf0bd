"""Codec priorities for pjsua2 from a profile's codec report (a pure function)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from communicator.provisioning.schema import canonical_codec


def codec_priorities(available: Iterable[str], usable: Sequence[str]) -> dict[str, int]:
    """pjsua2's priority (0..255, 0 disables) for each available codec id.

    ``usable`` holds the profile's allowed codecs, highest priority first. They get 254, 244,
    ...: room below each for the variants of one codec (speex/16000 before speex/8000), sorted
    by clock rate, highest first. Every other codec is disabled.
    """
    rank = {name: index for index, name in enumerate(usable)}
    priorities: dict[str, int] = {}
    for codec_id in available:
        name = canonical_codec(codec_id)
        if name is None or name not in rank:
            priorities[codec_id] = 0
        else:
            rate = clock_rate(codec_id)
            priorities[codec_id] = max(1, 254 - 10 * rank[name] - (0 if rate >= 16000 else 1))
    return priorities


def clock_rate(codec_id: str) -> int:
    """The clock rate in a pjsua2 codec id such as ``PCMU/8000/1`` (8000 if it has none)."""
    parts = codec_id.split("/")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 8000
