"""The shipped topics and prompts, their validation, and how a prompt is picked."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from conversations.catalogue import (
    CatalogueError,
    Prompt,
    all_topics,
    canonical_topic,
    catalogue_session,
    custom_prompt,
    load_prompts,
    load_topics,
    parse_prompts,
    parse_topics,
    pick_prompt,
)

TRACKS = ("technology", "inclusion")

# --- shipped data ----------------------------------------------------------------------------


def test_each_track_has_a_pickable_list_of_topics() -> None:
    topics = load_topics()
    assert tuple(topics) == TRACKS
    for labels in topics.values():
        assert 12 <= len(labels) <= 20
    assert "GenAI tools" in topics["technology"]
    assert "Being the only one in the room" in topics["inclusion"]
    assert all_topics() == topics["technology"] + topics["inclusion"]
    assert len({t.casefold() for t in all_topics()}) == len(all_topics())


def test_load_topics_returns_a_fresh_dict() -> None:
    load_topics().clear()
    assert load_topics()


def test_canonical_topic_ignores_case_and_spacing() -> None:
    assert canonical_topic("  genai   TOOLS ") == "GenAI tools"
    assert canonical_topic("Knitting") is None


def test_each_track_has_enough_prompts_spread_over_six_sessions() -> None:
    prompts = load_prompts()
    for track in TRACKS:
        topic = [p for p in prompts if p.track == track and p.kind == "topic"]
        prep = [p for p in prompts if p.track == track and p.kind == "prep"]
        assert len(topic) >= 30 and len(prep) >= 6
        per_session = Counter(p.session for p in topic)
        assert all(per_session[s] >= 4 for s in range(1, 7)), per_session
        assert {p.session for p in prep} >= set(range(1, 7))


def test_keys_are_unique_slugs_and_texts_are_short() -> None:
    prompts = load_prompts()
    assert len({p.key for p in prompts}) == len(prompts)
    for prompt in prompts:
        assert prompt.key == prompt.key.lower() and " " not in prompt.key
        assert 40 <= len(prompt.text) <= 240, prompt.key  # read on a phone
        assert prompt.session is None or 1 <= prompt.session <= 6


def test_topic_prompts_are_written_for_reverse_mentoring() -> None:
    # The pair reads them with the senior as "you"; the prep goes to the junior mentor.
    for prompt in load_prompts():
        if prompt.kind == "topic":
            assert "your mentor" in prompt.text.lower(), prompt.key
        else:
            assert "mentor" not in prompt.text.lower().replace("mentoring", ""), prompt.key


# --- validation ------------------------------------------------------------------------------


def _doc(item: str, kind: str = "topic", track: str = "technology") -> str:
    return f"{kind}:\n  {track}:\n    - {item}\n"


GOOD = "{key: a-b, session: 1, text: Ask your mentor something.}"


def test_a_valid_document_parses() -> None:
    (prompt,) = parse_prompts(_doc(GOOD), tracks=TRACKS)
    assert prompt == Prompt(
        key="a-b", track="technology", text="Ask your mentor something.", session=1, kind="topic"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_doc(GOOD) + "    - " + GOOD + "\n", "used twice"),
        (_doc(GOOD, track="cooking"), "unknown track 'cooking'"),
        (_doc(GOOD, kind="quiz"), "unknown kind 'quiz'"),
        (_doc("{key: A B, text: Ask your mentor.}"), "lowercase slug"),
        (_doc("{key: a, session: true, text: Ask your mentor.}"), "session must be"),
        (_doc("{key: a, session: 0, text: Ask your mentor.}"), "session must be"),
        (_doc("{key: a, text: Hi}"), "10 to 1000"),
        (_doc("{key: a, txt: Ask your mentor.}"), "unknown field(s) txt"),
        ("topic: [", "not valid YAML"),
    ],
)
def test_a_bad_prompt_document_is_refused_naming_the_entry(document: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_prompts(document, tracks=TRACKS)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("technology: [GenAI tools]\ninclusion: [genai TOOLS]\n", "repeats"),
        ("technology: ['A; B']\n", "no ';'"),
        ("Technology: [A]\n", "lowercase"),
        ("technology: []\n", "non-empty"),
    ],
)
def test_a_bad_topics_document_is_refused(document: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_topics(document)


# --- picking ---------------------------------------------------------------------------------


def _pick(
    prompts: tuple[Prompt, ...] | list[Prompt],
    used: set[str] | frozenset[str] = frozenset(),
    *,
    session: int | None = 2,
    seed: int = 1,
    **kwargs: object,
) -> Prompt | None:
    return pick_prompt(
        prompts,
        track="technology",
        session=session,
        used_keys=frozenset(used),
        rng=random.Random(seed),
        **kwargs,  # type: ignore[arg-type]
    )


def test_pick_prefers_the_session_then_any_session_then_the_nearest() -> None:
    prompts = [
        Prompt("s2", "technology", "text for two", 2, "topic"),
        Prompt("any", "technology", "text for any", None, "topic"),
        Prompt("s3", "technology", "text for three", 3, "topic"),
        Prompt("s6", "technology", "text for six", 6, "topic"),
        Prompt("inc", "inclusion", "text for two", 2, "topic"),
        Prompt("prep", "technology", "text for two", 2, "prep"),
    ]
    order = []
    used: set[str] = set()
    while (prompt := _pick(prompts, used)) is not None:
        order.append(prompt.key)
        used.add(prompt.key)
    assert order == ["s2", "any", "s3", "s6"]


def test_pick_never_repeats_and_returns_none_when_all_are_used() -> None:
    prompts = load_prompts()
    technology = {p.key for p in prompts if p.track == "technology" and p.kind == "topic"}
    used: set[str] = set()
    for session in [1, 2, 3, 4, 5, 6] * 10:
        prompt = _pick(prompts, used, session=session)
        if prompt is None:
            break
        assert prompt.key not in used and prompt.kind == "topic"
        used.add(prompt.key)
    assert used == technology
    assert _pick(prompts, used) is None


def test_pick_takes_this_sessions_prompts_first() -> None:
    prompts = load_prompts()
    for session in range(1, 7):
        prompt = _pick(prompts, session=session, seed=session)
        assert prompt is not None and prompt.session == session


def test_pick_is_deterministic_whatever_the_input_order() -> None:
    prompts = list(load_prompts())
    first = [_pick(prompts, session=s, seed=42) for s in range(1, 7)]
    random.Random(0).shuffle(prompts)
    assert [_pick(prompts, session=s, seed=42) for s in range(1, 7)] == first
    different = [_pick(prompts, session=s, seed=43) for s in range(1, 7)]
    assert different != first  # the seed matters


def test_pick_prep_prompts_and_unknown_tracks() -> None:
    prompts = load_prompts()
    prep = _pick(prompts, session=3, kind="prep")
    assert prep is not None and prep.kind == "prep" and prep.session == 3
    assert (
        pick_prompt(prompts, track="cooking", session=1, used_keys=frozenset(), rng=random.Random())
        is None
    )


def test_a_shorter_programme_still_ends_with_commitments() -> None:
    assert [catalogue_session(s, 4) for s in range(1, 5)] == [1, 2, 5, 6]
    assert [catalogue_session(s, 6) for s in range(1, 7)] == [1, 2, 3, 4, 5, 6]
    assert catalogue_session(12, 12) == 6 and catalogue_session(1, 12) == 1
    assert all(2 <= catalogue_session(s, 12) <= 5 for s in range(2, 12))
    last = _pick(load_prompts(), session=4, total_sessions=4)
    assert last is not None and last.session == 6


def test_custom_prompts_get_stable_keys() -> None:
    a = custom_prompt("inclusion", "Ask your mentor about their commute.", 2)
    assert a == custom_prompt("inclusion", "Ask your mentor about their commute.", 2)
    assert a.key.startswith("custom-") and a.kind == "topic"
    assert a.key != custom_prompt("inclusion", "Ask your mentor about their weekend.", 2).key
