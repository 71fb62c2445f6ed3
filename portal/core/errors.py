"""Domain exceptions, named for the rule they protect, mapped to HTTP in one place (portal/core/http.py)."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extra = extra or {}


class NotFound(PortalError):
    status_code = 404
    default_message = "Not found."


class NotAuthenticated(PortalError):
    status_code = 401
    default_message = "Sign in or send an API token (Authorization: Bearer ...)."


class PermissionDenied(PortalError):
    status_code = 403
    default_message = "Your role does not allow this."


class Conflict(PortalError):
    status_code = 409
    default_message = "Someone else changed this record; reload it and try again."


class InvalidInput(PortalError):
    status_code = 400
    default_message = "The request is not valid."


class Unprocessable(PortalError):
    status_code = 422
    default_message = "The request is valid JSON but cannot be applied."


class PayloadTooLarge(PortalError):
    status_code = 413
    default_message = "The file is too large."


class UnsupportedMediaType(PortalError):
    status_code = 415
    default_message = "This type of file is not accepted."


class TooManyRequests(PortalError):
    status_code = 429
    default_message = "Too many attempts; wait a minute and try again."


class ServiceUnavailable(PortalError):
    status_code = 503
    default_message = "A service the portal depends on is unavailable; try again shortly."
