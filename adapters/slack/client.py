"""The Web API client every Slack call goes through: its URL, its 429 handling, its log level."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import RETRIES_ON_429, RateLimits

DEFAULT_API_URL = "https://slack.com/api/"


def make_client(
    token: str,
    api_url: str = "",
    *,
    retries: int = RETRIES_ON_429,
    limits: RateLimits | None = None,
) -> AsyncWebClient:
    """An AsyncWebClient on `api_url` (slack_sdk reads no environment variable for it).

    A 429 is retried `retries` times after its Retry-After, holding the method's other calls
    meanwhile (`limits`, by default a `RateLimits` on the real clock); then it surfaces as
    SendFailed(retry_after=…) and the delivery queue reschedules the message.
    """
    base = api_url or DEFAULT_API_URL
    if not base.endswith("/"):
        base += "/"
    return AsyncWebClient(
        token=token,
        base_url=base,
        retry_handlers=[limits or RateLimits(max_retry_count=retries)],
        logger=_client_logger(),
    )


def rate_limits_of(client: AsyncWebClient) -> RateLimits:
    """The client's `RateLimits` (one is added when it has none: a client made elsewhere)."""
    for handler in client.retry_handlers:
        if isinstance(handler, RateLimits):
            return handler
    limits = RateLimits(max_retry_count=0)
    client.retry_handlers.append(limits)
    return limits


def _client_logger() -> logging.Logger:
    """The logger for slack_sdk's client, with its own level set.

    slack_sdk formats a debug line with the whole request body before every call whenever its
    logger's *own* level is NOTSET (it tests `logger.level <= DEBUG`, not `isEnabledFor`): a
    tenth of our CPU per message in the fan-out benchmark. With the level set, the line is only
    built when debug logging is really on.
    """
    client_log = logging.getLogger("slack_sdk.web.async_client")
    if client_log.level == logging.NOTSET:
        debug = client_log.getEffectiveLevel() <= logging.DEBUG
        client_log.setLevel(logging.DEBUG if debug else logging.INFO)
    return client_log
