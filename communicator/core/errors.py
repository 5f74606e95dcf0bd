"""The one error type the core state machines raise for operations that are not allowed.

Every public operation of the core either returns its effects or raises `InvalidOperationError`
(or a subclass) and leaves the machine exactly as it was. Messages are written for the agent
and can be shown as they are. Constructor arguments that break a documented precondition
(a policy with a negative interval, zero lines) raise `ValueError` instead: that is a
programming or provisioning error, not something the agent did.
"""

from __future__ import annotations

from communicator.core.notices import Notice, NoticeCode


class InvalidOperationError(Exception):
    """An operation is not allowed in the current state; the state is unchanged.

    ``str(err)`` is the English message; `notice` the same with its `NoticeCode` and
    parameters where the UI has a sentence of its own for it (else without a code)."""

    def __init__(self, message: str, code: NoticeCode | None = None, **params: object) -> None:
        super().__init__(message)
        self.notice = Notice(message) if code is None else Notice.coded(message, code, **params)


class LinesBusyError(InvalidOperationError):
    """Every line holds a call (or the requested line does)."""


class InvalidDialStringError(InvalidOperationError):
    """What the agent typed is not a number, extension or SIP address."""


class InvalidDtmfError(InvalidOperationError):
    """The DTMF digits contain something other than 0-9, *, # and A-D."""
