"""Bot Connector failures → `conversations.ports.SendFailed`, which the delivery worker acts on.

Teams throttles with 429 (and, on bursts into one conversation, 412); 502/504 are transient
gateway errors: all retry, honouring `Retry-After`. 403 means the bot was blocked or uninstalled
and 404 that the conversation is gone: the person is unreachable there until they reinstall.
Any other 4xx is our mistake (a malformed activity): retrying cannot help.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

import aiohttp
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.tokens import AzureTokenUnavailable
from conversations.ports import SendFailed

RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
UNREACHABLE = frozenset({403, 404})
CREDENTIALS_RETRY = 600.0  # 401: our app id/password is wrong; an admin fixes it, then it goes


class ConnectorError(Exception):
    """The Bot Connector answered our own request (`adapters.teams.connector`) with an error."""

    def __init__(self, status: int, retry_after: float | None, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def status_of(error: BaseException) -> tuple[int | None, float | None]:
    """(HTTP status, Retry-After seconds) of a connector error; (None, None) when there was no
    HTTP answer at all."""
    response: Any = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    return (status if isinstance(status, int) else None), retry_after_seconds(
        headers.get("Retry-After")
    )


def send_failed(error: BaseException) -> SendFailed:
    """The SendFailed a connector exception stands for."""
    if isinstance(error, SendFailed):
        return error
    if isinstance(error, HttpOperationError):
        status, retry_after = status_of(error)
        return answered(status, retry_after, f"Teams answered {status}: {error}")
    if isinstance(error, ConnectorError):
        return answered(error.status, error.retry_after, f"Teams answered {error}")
    if isinstance(error, AzureTokenUnavailable):  # nothing was sent: try again later
        return SendFailed(str(error))
    if isinstance(
        error, ClientRequestError | aiohttp.ClientError | ConnectionError | TimeoutError | OSError
    ):
        return SendFailed(f"could not reach Teams: {error!r}")
    return SendFailed(f"Teams send failed: {error!r}")


def answered(status: int | None, retry_after: float | None, reason: str) -> SendFailed:
    """The SendFailed for an HTTP error status from the Bot Connector."""
    if status in RETRYABLE:
        return SendFailed(reason, retry_after=retry_after)
    if status in UNREACHABLE:
        return SendFailed(reason, unreachable=True, permanent=True)
    if status == 401:
        return SendFailed(
            f"{reason} (check MICROSOFT_APP_ID/PASSWORD)", retry_after=CREDENTIALS_RETRY
        )
    return SendFailed(reason, permanent=True)


def is_retryable(failure: SendFailed) -> bool:
    """True when trying again later may succeed."""
    return not failure.permanent and not failure.unreachable
