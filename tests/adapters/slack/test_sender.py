"""SlackSender against the fake Web API: posts carry their key, lost sends are found, group
DMs are opened once, and Slack's errors become the right SendFailed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from adapters.slack.client import make_client
from adapters.slack.limits import Pacer, RateLimits
from adapters.slack.sender import SlackSender
from conversations.ports import SendFailed
from conversations.types import Address, Button, Buttons, OutgoingMessage, Text
from tests.adapters.slack.fake_slack import FakeSlack

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
SAM_DM = Address("slack", "T0ACME", "D0SAM")


def message(key: str = "intro:7", **kwargs: object) -> OutgoingMessage:
    return OutgoingMessage(
        SAM_DM,
        "intro",
        "Meet Maya",
        (Text("Meet *Maya*"), Buttons((Button("Say hi", "help.command", "status"),))),
        idempotency_key=key,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    for user in ("U0SAM", "U0CEO"):
        slack.add_user(user, f"{user.lower()}@example.com")
    await slack.start()
    try:
        yield slack
    finally:
        await slack.stop()


def sender(fake: FakeSlack, retries: int = 0) -> SlackSender:
    return SlackSender(make_client("xoxb-test", fake.api_url, retries=retries), lambda: NOW)


async def test_a_post_carries_its_key_and_find_sent_finds_it(fake: FakeSlack) -> None:
    slack = sender(fake)
    delivery = await slack.send(message(), SAM_DM)
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["metadata"] == {
        "event_type": "mentorbot_message",
        "event_payload": {"key": "intro:7"},
    }
    assert call.args["blocks"][0]["text"]["text"] == "Meet *Maya*"
    found = await slack.find_sent(message(), SAM_DM)
    assert found is not None and found.message_id == delivery.message_id
    assert fake.calls_to("conversations.history")[0].args["include_all_metadata"] in ("1", "true")
    assert await slack.find_sent(message("intro:8"), SAM_DM) is None


async def test_find_sent_reads_the_dm_behind_a_user_id(fake: FakeSlack) -> None:
    # Roster identities carry only the user id; a post to it lands in the DM.
    slack = sender(fake)
    by_user = Address("slack", "T0ACME", "U0SAM")
    await sender(fake).send(message(), by_user)  # another process sent it
    found = await slack.find_sent(message(), by_user)
    assert found is not None
    assert fake.calls_to("conversations.open", users="U0SAM")
    assert fake.calls_to("conversations.history", channel="D0SAM")


async def test_replaces_updates_the_message_in_place(fake: FakeSlack) -> None:
    slack = sender(fake)
    posted = await slack.send(message(), SAM_DM)
    update = OutgoingMessage(SAM_DM, "answer", "Thanks!", replaces=posted.message_id)
    updated = await slack.send(update, SAM_DM)
    assert updated.message_id == posted.message_id
    [call] = fake.calls_to("chat.update")
    assert call.args["ts"] == posted.message_id and call.args["text"] == "Thanks!"
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_open_group_opens_one_group_dm_per_pair_and_remembers_it(fake: FakeSlack) -> None:
    slack = sender(fake)
    first = await slack.open_group("T0ACME", ["U0SAM", "U0CEO"])
    again = await slack.open_group("T0ACME", ["U0CEO", "U0SAM"])
    assert first == again and first is not None and first.startswith("G")
    [call] = fake.calls_to("conversations.open")
    assert call.args["users"] == "U0CEO,U0SAM"


async def test_a_429_becomes_retry_after_once_the_in_process_retries_are_spent(
    fake: FakeSlack,
) -> None:
    fake.rate_limit("chat.postMessage", times=1, retry_after=30)
    with pytest.raises(SendFailed) as raised:
        await sender(fake, retries=0).send(message(), SAM_DM)
    assert raised.value.retry_after == 30.0
    assert not raised.value.permanent and not raised.value.unreachable
    assert "D0SAM" not in fake.history  # nothing was posted


class FakeTime:
    """The bot's clock, whose sleeps pass at once and are recorded."""

    def __init__(self) -> None:
        self.now = NOW
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def posts(fake: FakeSlack) -> list[int]:
    """The status of each chat.postMessage call, in order."""
    return [c.status for c in fake.calls if c.method == "chat.postMessage"]


def limited_sender(fake: FakeSlack, time: FakeTime, retries: int) -> SlackSender:
    limits = RateLimits(retries, sleep=time.sleep)
    client = make_client("xoxb-test", fake.api_url, limits=limits)
    return SlackSender(client, lambda: time.now)


async def test_a_429_is_retried_after_its_retry_after_without_jitter(fake: FakeSlack) -> None:
    time = FakeTime()
    slack = limited_sender(fake, time, retries=1)
    fake.rate_limit("chat.postMessage", times=1, retry_after=3)
    await slack.send(message(), SAM_DM)
    assert time.slept == [3.0]  # slack_sdk's own handler adds up to a random second
    assert posts(fake) == [429, 200]
    await slack.send(message("intro:8"), SAM_DM)
    assert time.slept == [3.0]  # the wait is over: the next post goes at once


async def test_a_429_holds_the_method_it_answered_and_no_other() -> None:
    time = FakeTime()
    held: list[tuple[float, float]] = []

    async def sleep(seconds: float) -> None:
        held.append((limits.remaining("chat.postMessage"), limits.remaining("users.info")))
        await time.sleep(seconds)

    limits = RateLimits(1, clock=lambda: time.now, sleep=sleep)
    request = HttpRequest(method="POST", url="https://slack.com/api/chat.postMessage", headers={})
    response = HttpResponse(status_code=429, headers={"Retry-After": ["2"]})
    state = RetryState()
    assert await limits.can_retry_async(state=state, request=request, response=response)
    await limits.prepare_for_next_attempt_async(state=state, request=request, response=response)
    assert held == [(2.0, 0.0)] and time.slept == [2.0]
    assert state.next_attempt_requested and limits.remaining("chat.postMessage") == 0.0


async def test_once_slack_says_wait_the_next_posts_wait_too_and_other_methods_do_not(
    fake: FakeSlack,
) -> None:
    time = FakeTime()
    slack = limited_sender(fake, time, retries=0)
    fake.rate_limit("chat.postMessage", times=1, retry_after=3)
    with pytest.raises(SendFailed) as raised:
        await slack.send(message(), SAM_DM)
    assert raised.value.retry_after == 3.0  # back to the queue
    assert await slack.find_sent(message(), SAM_DM) is None  # another method: no wait
    assert time.slept == []
    await slack.send(message("intro:8"), SAM_DM)  # a short hold is waited out in place
    assert time.slept == [3.0]
    assert posts(fake) == [429, 200]


async def test_a_long_hold_sends_the_message_back_to_the_queue_without_calling_slack(
    fake: FakeSlack,
) -> None:
    time = FakeTime()
    slack = limited_sender(fake, time, retries=0)
    fake.rate_limit("chat.postMessage", times=1, retry_after=30)
    with pytest.raises(SendFailed):
        await slack.send(message(), SAM_DM)
    time.now += timedelta(seconds=10)
    with pytest.raises(SendFailed) as raised:
        await slack.send(message("intro:8"), SAM_DM)
    assert raised.value.retry_after == 20.0  # what is left of the 30 s
    assert posts(fake) == [429] and time.slept == []  # no request into the wall, no sleep
    time.now += timedelta(seconds=20)
    await slack.send(message("intro:8"), SAM_DM)
    assert posts(fake) == [429, 200]


@pytest.mark.parametrize(
    ("error", "permanent", "unreachable"),
    [
        ("invalid_blocks", True, False),
        ("msg_too_long", True, False),
        ("channel_not_found", False, True),
        ("account_inactive", False, True),
        ("cannot_dm_bot", False, True),
        ("not_in_channel", False, True),
        ("internal_error", False, False),
    ],
)
async def test_slack_errors_are_classified(
    fake: FakeSlack, error: str, permanent: bool, unreachable: bool
) -> None:
    fake.fail("chat.postMessage", error)
    with pytest.raises(SendFailed) as raised:
        await sender(fake).send(message(), SAM_DM)
    assert error in raised.value.reason
    assert (raised.value.permanent, raised.value.unreachable) == (permanent, unreachable)


async def test_network_failure_is_retryable(fake: FakeSlack) -> None:
    await fake.stop()
    with pytest.raises(SendFailed) as raised:
        await sender(fake).send(message(), SAM_DM)
    assert not raised.value.permanent and raised.value.retry_after is None


async def test_the_pacer_spaces_calls_by_its_interval() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.2, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await pacer.wait()
    assert slept == pytest.approx([1.2, 1.2])


def test_a_plain_text_error_page_is_a_retryable_failure_not_a_crash() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from adapters.slack.errors import failure

    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data="<html>502 Bad Gateway</html>",  # type: ignore[arg-type]
        headers={},
        status_code=502,
    )
    result = failure(SlackApiError("bad gateway", response), "chat.postMessage")
    assert not result.permanent and not result.unreachable and result.retry_after is None


def test_the_client_logger_has_its_own_level_so_no_debug_line_is_built_per_call() -> None:
    # slack_sdk builds its debug line (the whole request body) whenever `logger.level` <= DEBUG,
    # and NOTSET is 0: an unset level cost a tenth of our CPU per message.
    client = make_client("xoxb-test", "http://127.0.0.1:9/api/")
    assert client.logger.level != logging.NOTSET
    debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
    assert client.logger.level > logging.DEBUG or debugging
