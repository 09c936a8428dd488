"""Every shipped catalogue entry can reach a pair: 2,000 simulated pairs with varied topic
profiles and programme lengths live their whole programme through the real selection code
(`session_topics.offer`), their junior picking (or not) from what is offered."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from conversations.config import ProgrammeConfig
from conversations.data.catalogue import OPTIONS, arc, load_prompts, load_topics
from conversations.programme.topics import offer

PAIRS = 2000
LENGTHS = (4, 6, 8, 12)
TRACKS = ("technology", "inclusion")


def _programme(sessions: int, tracks: tuple[str, ...] = TRACKS) -> ProgrammeConfig:
    return ProgrammeConfig(start_date=date(2027, 1, 11), sessions=sessions, tracks=tracks)


def _profile(rng: random.Random) -> tuple[list[str], list[str]]:
    """A junior's `teaches` and a senior's `learns`: one track, both, none shared or none."""
    topics = load_topics()
    every = [t for labels in topics.values() for t in labels]
    kind = rng.choice(("technology", "inclusion", "both", "unshared", "empty"))
    if kind == "empty":
        return [], []
    pool = every if kind in ("both", "unshared") else list(topics[kind])
    teaches = rng.sample(pool, rng.randint(1, 4))
    learns = rng.sample(pool, rng.randint(1, 4))
    if kind == "unshared":
        learns = [t for t in learns if t not in teaches]
    else:
        learns = [*learns, teaches[0]]  # at least one topic in common
    return teaches, learns


def test_every_entry_is_offered_and_chosen_and_no_pair_gets_one_twice() -> None:
    prompts = load_prompts()
    rng = random.Random(17)
    offered: Counter[str] = Counter()
    chosen: Counter[str] = Counter()
    for pair_id in range(1, PAIRS + 1):
        programme = _programme(rng.choice(LENGTHS))
        teaches, learns = _profile(rng)
        used: set[str] = set()
        for number in range(1, programme.sessions + 1):
            options = offer(
                prompts,
                programme,
                pair_id=pair_id,
                number=number,
                teaches=teaches,
                learns=learns,
                used_keys=frozenset(used),
            )
            assert 2 <= len(options) <= OPTIONS, (pair_id, number)
            assert not used & {p.key for p in options}
            offered.update(p.key for p in options)
            # Most juniors pick; some let the default (the first option) stand.
            pick = rng.choice(options) if rng.random() < 0.7 else options[0]
            assert pick.key not in used  # never a prompt twice for a pair
            used.add(pick.key)
            chosen[pick.key] += 1
    every = {p.key for p in prompts}
    assert every - set(offered) == set(), "never offered"
    assert every - set(chosen) == set(), "never chosen"


def test_a_twelve_session_programme_on_one_track_gets_every_stage_in_order() -> None:
    prompts = load_prompts()
    for track in TRACKS:
        programme = _programme(12, (track,))
        for pair_id in range(1, 51):
            used: set[str] = set()
            for number, stage in enumerate(arc(12), start=1):
                options = offer(
                    prompts,
                    programme,
                    pair_id=pair_id,
                    number=number,
                    teaches=[],
                    learns=[],
                    used_keys=frozenset(used),
                )
                # The pool for each stage is big enough: a full choice, all of the right stage.
                assert len(options) == OPTIONS, (track, number)
                assert {(p.track, p.stage) for p in options} == {(track, stage)}, number
                used.add(options[-1].key)  # the junior who always takes the last option
