"""Fan-out benchmark: one round's intros to N pairs through rate-limited fake platforms.

```
python -m benchmarks fanout                      # 500 pairs on Slack, then on Teams
python -m benchmarks fanout --pairs 10000        # the issue's size (about 12 minutes)
python -m benchmarks fanout --platform teams --concurrency 1    # the old one-at-a-time worker
```

For each platform: a scratch PostgreSQL database gets 2N enrolled people (each with an identity
on that platform) and N active pairs stored with `publish_round`, whose intros are queued as
`pairing.introduce` queues them (`intro:{pair}`, due now). The delivery then runs in its own
process (`benchmarks.fanout_worker`: `build_app` + the real platform plugins), against the fakes
in a third process (`benchmarks.fakes`) that enforce the limits with 429 + Retry-After:

* Slack: chat.postMessage 1/s per channel and `--slack-workspace-rate`/s per workspace;
  conversations.open 50/min (Tier 3). Each pair's intro goes to its own group DM. Opening one
  takes 1.2 s (SlackSender paces Tier 3), so N fresh group DMs alone take N × 1.2 s: 3 h 20 min
  for 10,000, which SlackSender meets by construction. The benchmark therefore gives the pairs
  their group DM as already known (as for every later message to a pair), measuring the post
  path; `--slack-new-groups K` opens K fresh ones first (their opens then block the sends).
* Teams: 30 requests/s per tenant (one tenant); bots cannot create group chats, so each intro
  fans out to one 1:1 message per partner (2N sends), over stored conversation references.

Reported: wall time against the floor the limits impose (goal: within 10 %), our CPU per
message (goal < 1 ms), our peak RSS, and whether every message arrived exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import asyncpg

from adapters.teams.activities import bare_reference, reference_to_json
from benchmarks.harness import asyncpg_dsn, checkpoint, child, scratch_database, verdict
from bot.settings import load_settings
from conversations.outbox.codec import message_to_dict
from conversations.pairing.pairing_texts import intro
from conversations.types import NewPair, PairStatus, Role, RosterEntry, ToPair
from storage.db import upgrade
from storage.store import SqlStore

SLACK_CHANNEL_RATE = 1.0  # chat.postMessage per channel per second (Slack docs)
SLACK_OPEN_PER_MINUTE = 50.0  # conversations.open, Tier 3
TEAMS_TENANT_RATE = 30.0  # Bot Connector requests per tenant per second
TENANT = "tenant-bench"
TOKEN = "xoxb-bench"
APP_YAML = """programme:
  name: Bench Programme
  start_date: 2020-01-06
  require_mentee_consent: false
admins: [p0@example.com]
"""
PARALLEL = 8  # concurrent seeding transactions
PUBLISH_CHUNK = 5000


async def _gather_chunks(calls: list, size: int = PARALLEL) -> list:  # type: ignore[type-arg]
    results = []
    for i in range(0, len(calls), size):
        results += await asyncio.gather(*(c() for c in calls[i : i + size]))
    return results


async def seed(
    url: str, workdir: Path, platform: str, pairs: int, new_groups: int, base: str
) -> set[str]:
    """People, identities, pairs and queued intros; returns what the fakes must receive."""
    await upgrade(url)
    settings = load_settings(workdir / "app.yaml", {"DATABASE_URL": url})
    store = SqlStore.open(url)
    now = datetime.now(UTC)
    try:
        entries = [
            RosterEntry(
                line=i + 2,
                email=f"p{i}@example.com",
                name=f"Person {i}",
                level=2 if i % 2 else 7,
                timezone="Europe/London",
                role=Role.MENTEE if i % 2 else Role.MENTOR,
                slack_id=f"U{i:06d}" if platform == "slack" else "",
                teams_id=f"aad-{i:06d}" if platform == "teams" else "",
            )
            for i in range(2 * pairs)
        ]
        await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=now)
        people = {p.email: p for p in await store.all_people()}
        by_id = {p.id: p for p in people.values()}
        await _identities(url, platform, base)
        new = [
            NewPair(people[f"p{2 * k}@example.com"].id, people[f"p{2 * k + 1}@example.com"].id, 1.0)
            for k in range(pairs)
        ]
        stored = []
        # In rounds of ≤ 5,000: one publish_round of 10,000 pairs fails on PostgreSQL (its
        # open-pair check binds 2 ids per person, 40,002 > asyncpg's 32,767 parameters).
        for i in range(0, len(new), PUBLISH_CHUNK):
            chunk = new[i : i + PUBLISH_CHUNK]
            stored += await store.publish_round(chunk, status=PairStatus.ACTIVE, at=now)
        if platform == "slack":  # the group DMs of all but `new_groups` pairs are known
            await _gather_chunks(
                [
                    (lambda p=p: store.set_pair_conversation(p.id, "slack", f"G{p.id:06d}"))
                    for p in stored[new_groups:]
                ]
            )
        messages = [
            intro(
                p,
                by_id[p.mentor_id],
                by_id[p.mentee_id],
                settings.config,
                first_session=date(2030, 1, 7),
                key=f"intro:{p.id}",
            )
            for p in stored
        ]
        assert all(isinstance(m.to, ToPair) for m in messages)
        await _gather_chunks(
            [
                (lambda m=m: store.schedule("deliver", message_to_dict(m), now, m.idempotency_key))
                for m in messages
            ]
        )
    finally:
        await store.close()
    if platform == "slack":
        return {f"intro:{p.id}" for p in stored}
    return {f"a:chat-aad-{i:06d}" for i in range(2 * pairs)}


async def _identities(url: str, platform: str, base: str) -> None:
    """Fill in what the platform would have told us on install (bulk, to keep seeding short)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if platform == "slack":
            await connection.execute(
                "UPDATE platform_identities SET tenant_id = 'T0BENCH' WHERE platform = 'slack'"
            )
            return
        users = [r[0] for r in await connection.fetch("SELECT user_id FROM platform_identities")]
        rows = []
        for user in users:
            chat = f"a:chat-{user}"
            reference = bare_reference(chat, TENANT, f"{base}/")
            rows.append((chat, f"{base}/", reference_to_json(reference), user))
        await connection.executemany(
            "UPDATE platform_identities SET tenant_id = $5, dm_conversation_id = $1, "
            "service_url = $2, reference = $3 WHERE platform = 'teams' AND user_id = $4",
            [(*row, TENANT) for row in rows],
        )
    finally:
        await connection.close()


def floor_seconds(platform: str, pairs: int, new_groups: int, workspace_rate: float) -> float:
    """The least time the limits allow (each bucket starts with one second of burst)."""
    if platform == "teams":
        return max(0.0, 2 * pairs - TEAMS_TENANT_RATE) / TEAMS_TENANT_RATE
    opens = max(0, new_groups - 1) * 60.0 / SLACK_OPEN_PER_MINUTE
    posts = max(0.0, pairs - workspace_rate) / workspace_rate
    return max(opens, posts)


async def scenario(platform: str, args: argparse.Namespace) -> dict[str, object]:
    """Seed, deliver in a worker process, check the fakes; the figures."""
    limits = [
        f"--slack-channel-rate={SLACK_CHANNEL_RATE}",
        f"--slack-workspace-rate={args.slack_workspace_rate}",
        f"--slack-open-per-minute={SLACK_OPEN_PER_MINUTE}",
        f"--teams-tenant-rate={TEAMS_TENANT_RATE}",
    ]
    new_groups = min(args.slack_new_groups, args.pairs) if platform == "slack" else 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "app.yaml").write_text(APP_YAML)
        async with scratch_database(f"fanout_{platform}") as url:
            async with child(["-m", "benchmarks.fakes", *limits]) as (_, base):
                expected = await seed(url, workdir, platform, args.pairs, new_groups, base)
                await checkpoint(url)
                env = {
                    "DATABASE_URL": url,
                    "SLACK_BOT_TOKEN": TOKEN if platform == "slack" else "",
                    "SLACK_SIGNING_SECRET": "bench-secret",
                    "SLACK_APP_TOKEN": "",
                    "SLACK_API_URL": f"{base}/api/",
                    "TEAMS_DEV_MODE": "1" if platform == "teams" else "",
                    "MICROSOFT_APP_ID": "",
                    "BENCH_DELIVERY_CONCURRENCY": str(args.concurrency or ""),
                }
                worker = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benchmarks.fanout_worker",
                    str(workdir / "app.yaml"),
                    env={**os.environ, **env},
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                out, err = await worker.communicate()
                if worker.returncode != 0:
                    raise RuntimeError(f"fan-out worker failed:\n{err.decode()[-3000:]}")
                figures = json.loads(out.decode().strip().splitlines()[-1])
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{base}/_stats") as response:
                        arrived = await response.json()
    accepted: dict[str, int] = arrived["accepted"]
    once = set(accepted) == expected and all(n == 1 for n in accepted.values())
    messages = len(expected)
    return {
        "platform": platform,
        "pairs": args.pairs,
        "messages": messages,
        "floor": floor_seconds(platform, args.pairs, new_groups, args.slack_workspace_rate),
        "cpu_ms_per_msg": 1000 * figures["cpu"] / messages,
        "cpu_system_ms_per_msg": 1000 * figures["cpu_system"] / messages,
        "exactly_once": once,
        "missing": len(expected - set(accepted)),
        "duplicates": len(arrived["duplicates"]),
        "unexpected": len(set(accepted) - expected),
        "http_429": sum(arrived["limited"].values()),
        "limited": arrived["limited"],
        "new_groups": new_groups,
        **figures,
    }


def report(result: dict[str, object]) -> None:
    """Print one scenario's figures next to the goals."""
    wall, floor = float(result["wall"]), float(result["floor"])  # type: ignore[arg-type]
    cpu = float(result["cpu_ms_per_msg"])  # type: ignore[arg-type]
    extra = f", {result['new_groups']} fresh group DMs" if result["platform"] == "slack" else ""
    print(
        f"{result['platform']}: {result['pairs']} pairs → {result['messages']} messages{extra}\n"
        f"  wall {wall:.1f} s vs floor {floor:.1f} s = {wall / floor if floor else 0:.2f}× "
        f"(goal ≤ 1.10×: {verdict(wall <= 1.1 * floor)})\n"
        f"  CPU {cpu:.2f} ms/message (goal < 1 ms: {verdict(cpu < 1.0)}; "
        f"{float(result['cpu_system_ms_per_msg']):.2f} of it in the kernel), "  # type: ignore[arg-type]
        f"peak RSS {float(result['peak_mb']):.0f} MB\n"  # type: ignore[arg-type]
        f"  exactly once: {verdict(bool(result['exactly_once']))} (missing {result['missing']}, "
        f"duplicates {result['duplicates']}, unexpected {result['unexpected']}); "
        f"429s {result['limited'] or 0}, sent {result['sent']}, retried {result['retried']}, "
        f"failed {result['failed']}, passes {result['passes']}",
        flush=True,
    )


def main(argv: list[str]) -> int:
    """`python -m benchmarks fanout [--pairs N] [--platform slack|teams|both] …`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks fanout")
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--platform", choices=("slack", "teams", "both"), default="both")
    parser.add_argument("--slack-workspace-rate", type=float, default=20.0)
    parser.add_argument("--slack-new-groups", type=int, default=0)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="recipients served at once (0: the Deliverer default)",
    )
    parser.add_argument("--json", action="store_true", help="also print raw figures as JSON")
    args, _ = parser.parse_known_args(argv)
    platforms = ("slack", "teams") if args.platform == "both" else (args.platform,)
    status = 0
    for platform in platforms:
        result = asyncio.run(scenario(platform, args))
        report(result)
        if args.json:
            print(json.dumps(result))
        status |= 0 if result["exactly_once"] else 1
    return status
