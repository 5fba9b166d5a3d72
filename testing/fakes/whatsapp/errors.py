"""The Graph API's error answers, as the WhatsApp Cloud API gives them.

Every refusal is `{"error": {"message", "type", "code", "error_subcode"?, "error_data"?,
"fbtrace_id"}}`; the codes are the Cloud API's, so that a bot's handling of each one can be
tested against the fake. Errors that Meta reports later, in a `failed` status webhook rather
than in the answer, are `StatusError`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "ERROR_DOCS",
    "GraphError",
    "StatusError",
    "bad_parameter",
    "invalid_value",
    "missing_parameter",
    "unknown_object",
]

JSONDict = dict[str, Any]

ERROR_DOCS: Final = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


class GraphError(Exception):
    """An error answer of the Graph API: HTTP `status` and Graph's error envelope."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        details: str | None = None,
        user_title: str | None = None,
        user_message: str | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode
        self.details = details
        self.user_title = user_title
        self.user_message = user_message
        self.transient = transient

    def payload(self, fbtrace_id: str) -> JSONDict:
        error: JSONDict = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_message is not None:
            error["error_user_msg"] = self.user_message
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}

    def __repr__(self) -> str:
        return f"GraphError({self.status}, {self.code}, {self.message!r}, details={self.details!r})"


def missing_parameter(name: str) -> GraphError:
    """A required parameter is absent or of the wrong JSON type: Graph's (#100)."""
    return GraphError(400, 100, f"(#100) The parameter {name} is required.")


def bad_parameter(detail: str) -> GraphError:
    """A malformed request (not JSON, a value of the wrong kind): Graph's (#100)."""
    return GraphError(400, 100, f"(#100) {detail}")


def invalid_value(details: str) -> GraphError:
    """A value the Cloud API refuses (too long, too many, not unique): (#131009)."""
    return GraphError(400, 131009, "(#131009) Parameter value is not valid", details=details)


def unknown_object(object_id: str, method: str = "get") -> GraphError:
    """Graph's answer for an id that is not there (or not this token's): 100, subcode 33."""
    return GraphError(
        400,
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        type_="GraphMethodException",
        subcode=33,
    )


@dataclass(frozen=True)
class StatusError:
    """An error reported in a `failed` status webhook (statuses[].errors[])."""

    code: int
    title: str
    details: str
    message: str | None = None
    extra: JSONDict = field(default_factory=dict)

    def json(self) -> JSONDict:
        return {
            "code": self.code,
            "title": self.title,
            "message": self.message or self.title,
            "error_data": {"details": self.details},
            "href": ERROR_DOCS,
        }


RE_ENGAGEMENT: Final = StatusError(
    131047,
    "Re-engagement message",
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number.",
)

UNDELIVERABLE: Final = StatusError(131026, "Message undeliverable", "Message Undeliverable.")


def media_upload_error(details: str) -> StatusError:
    return StatusError(131053, "Media upload error", details)
