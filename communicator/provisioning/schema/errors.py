"""Errors raised when a profile document cannot be accepted.

Every failure of :func:`~communicator.provisioning.schema.parse_profile` surfaces as a
:class:`ProfileError`: never a raw pydantic ``ValidationError``, ``KeyError`` or
``JSONDecodeError``. Messages never contain secret values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Problem", "ProfileError"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a profile document.

    ``field`` is a dotted path such as ``"sip.port"`` or ``"media.codecs[2]"``; it is ``""``
    when the problem concerns the whole document (for example invalid JSON).
    """

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}" if self.field else self.problem


class ProfileError(ValueError):
    """A profile document was rejected.

    ``field``/``problem`` describe the first problem; ``problems`` holds all of them.
    ``str(err)`` reads like ``Invalid profile: sip.port: must be between 1 and 65535 (got 70000)``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            problems = (Problem("", "the document was rejected"),)
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0]
        self.field: str = first.field
        self.problem: str = first.problem
        super().__init__(self._message())

    @classmethod
    def single(cls, field: str, problem: str) -> ProfileError:
        """Build an error with exactly one problem."""
        return cls((Problem(field, problem),))

    def _message(self) -> str:
        message = f"Invalid profile: {self.problems[0]}"
        more = len(self.problems) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        return message

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"ProfileError({self._message()!r})"
