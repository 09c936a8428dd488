"""SIGKILL of `mentorbot serve` in the middle of a Slack delivery batch, then a restart: no
message is lost and none is doubled.

The fake Slack Web API answers slowly, after the post took effect, so the kill lands while the
bot waits for Slack to confirm a message it has already posted: the one hard case of exactly
once. The restarted process finds that message by the idempotency key in its metadata
(`conversations.history`) instead of posting it again (docs/architecture.md, "The `due_work`
outbox"; issue 4).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faults.support import (
    FaultySlack,
    keys_posted,
    queue_settled,
    rows,
    seed_slack,
    serve,
    slack_env,
    until,
)

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)


async def test_slack_kill_mid_batch_then_restart_sends_each_message_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    fake = FaultySlack()
    await fake.start()
    try:
        fake.latency = 0.05  # slow enough that the kill lands while a post awaits its answer
        keys = await seed_slack(db_url, fake, people=12, messages_each=4, due=datetime.now(UTC))
        env = slack_env(fake, db_url)
        async with serve(tmp_path / "first", env) as first:

            async def busy() -> bool:
                return sum(keys_posted(fake).values()) >= len(keys) // 4

            await until(busy, "the first process to be busy")
            first.process.send_signal(signal.SIGKILL)
            await first.process.wait()
        posted_before = keys_posted(fake)
        assert sum(posted_before.values()) < len(keys), "the batch finished before the kill"
        # Posted on Slack but never marked done: the kill landed between the two.
        unrecorded = {
            key
            for (key,) in await rows(
                db_url, "SELECT idempotency_key FROM due_work WHERE status = 'leased'"
            )
            if key in posted_before
        }
        assert unrecorded, "the kill did not land between a post and its record"

        async with serve(tmp_path / "second", env):

            async def all_sent() -> bool:
                return len(keys_posted(fake)) >= len(keys) and await queue_settled(db_url)

            await until(all_sent, "the restarted process to deliver the rest")

        counts = keys_posted(fake)
        assert set(counts) == set(keys)  # nothing lost
        assert set(counts.values()) == {1}, {k: n for k, n in counts.items() if n > 1}
        # The unrecorded posts were found in the channel's history, not posted again: each row
        # records the ts Slack gave the first post.
        found = await rows(
            db_url,
            "SELECT idempotency_key, result, attempts FROM due_work WHERE status = 'done'",
        )
        done = {key: (result, attempts) for key, result, attempts in found}
        assert len(done) == len(keys)
        assert all(done[key][1] >= 2 for key in unrecorded)
        assert fake.calls_to("conversations.history")
        history_ts = {
            m["metadata"]["event_payload"]["key"]: m["ts"]
            for messages in fake.history.values()
            for m in messages
        }
        assert all(done[key][0] == history_ts[key] for key in keys)
    finally:
        await fake.stop()
