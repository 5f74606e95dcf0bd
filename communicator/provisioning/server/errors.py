# ruff: noqa: N818
"""Errors the API answers with a 4xx and a JSON body naming the problem."""

from __future__ import annotations

from typing import Any

NO_FREE_NUMBER = "No free number, or the number is invalid"


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class NoFreeNumber(ApiError):
    status = 409
    code = "no_free_number"

    def __init__(self) -> None:
        super().__init__(NO_FREE_NUMBER)


class Invalid(ApiError):
    status = 422
    code = "invalid"


class TooLarge(ApiError):
    status = 413
    code = "too_large"


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
