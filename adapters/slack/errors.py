"""Slack's errors, classified for the delivery worker: unreachable, permanent, or worth a retry."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from adapters.slack.limits import retry_after
from conversations.ports import SendFailed

# The recipient is gone or the bot may not write there: retrying cannot help, and the person
# should be marked unreachable.
UNREACHABLE = frozenset(
    {
        "account_inactive",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "messages_tab_disabled",
        "user_is_restricted",
    }
)
# The message itself is malformed: the same request will fail the same way.
PERMANENT = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)


def failure(error: Exception, what: str) -> SendFailed:
    """A SendFailed for a slack_sdk or network error, classified for the delivery worker."""
    if isinstance(error, SlackApiError):
        response = error.response
        # A proxy or an outage can answer with plain text, not Slack's JSON: no error code then.
        data = response.data if response is not None and isinstance(response.data, dict) else {}
        code = str(data.get("error", ""))
        if response is not None and response.status_code == 429:
            wait = retry_after(response.headers)
            return SendFailed(f"{what}: rate limited", retry_after=wait)
        reason = f"{what}: {code or 'error'}"
        if code in UNREACHABLE:
            return SendFailed(reason, unreachable=True)
        return SendFailed(reason, permanent=code in PERMANENT)
    return SendFailed(f"{what}: {error!r}")  # network trouble: retry with backoff
