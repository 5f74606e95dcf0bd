"""The one error type the core state machines raise for operations that are not allowed.

Every public operation of the core either returns its effects or raises `InvalidOperationError`
(or a subclass) and leaves the machine exactly as it was. Messages are written for the agent
and can be shown as they are. Constructor arguments that break a documented precondition
(a policy with a negative interval, zero lines) raise `ValueError` instead: that is a
programming or provisioning error, not something the agent did.
"""

from __future__ import annotations


class InvalidOperationError(Exception):
    """An operation is not allowed in the current state; the state is unchanged."""


class LinesBusyError(InvalidOperationError):
    """Every line holds a call (or the requested line does)."""


class InvalidDialStringError(InvalidOperationError):
    """What the agent typed is not a number, extension or SIP address."""


class InvalidDtmfError(InvalidOperationError):
    """The DTMF digits contain something other than 0-9, *, # and A-D."""
