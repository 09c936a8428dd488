"""The shipped topics and prompts, their validation, the arc, and how topics are offered."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from conversations.data.catalogue import (
    MAX_TITLE,
    STAGES,
    CatalogueError,
    Prompt,
    Stage,
    admin_prompt,
    all_topics,
    arc,
    canonical_topic,
    custom_prompt,
    load_prompts,
    load_topics,
    pair_tracks,
    parse_prompts,
    parse_topics,
    session_options,
    short_title,
    stage_of,
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


def test_each_track_has_entries_for_every_stage() -> None:
    prompts = load_prompts()
    for track in TRACKS:
        stages = Counter(p.stage for p in prompts if p.track == track)
        assert set(stages) == set(STAGES), (track, stages)


def test_keys_are_unique_slugs_and_titles_fit_a_button() -> None:
    prompts = load_prompts()
    assert len({p.key for p in prompts}) == len(prompts)
    for prompt in prompts:
        assert prompt.key == prompt.key.lower() and " " not in prompt.key
        assert 3 <= len(prompt.title) <= MAX_TITLE, prompt.key
        assert prompt.text and prompt.prep, prompt.key


# --- validation ------------------------------------------------------------------------------


def _entry(**fields: str) -> str:
    entry = {
        "key": "tech-sub-ai",
        "stage": "substance",
        "title": "AI tools in real work",
        "topic": "Ask your mentor which AI tools they use.",
        "prep": "Pick one AI tool you could show.",
    } | fields
    return (
        "{"
        + ", ".join(
            f"{k}: {v!r}" if k != "key" else f"{k}: {v}" for k, v in entry.items() if v != "DROP"
        )
        + "}"
    )


def _doc(*items: str, track: str = "technology") -> str:
    return f"{track}:\n" + "".join(f"  - {item}\n" for item in items)


def test_a_valid_document_parses() -> None:
    (prompt,) = parse_prompts(_doc(_entry()), tracks=TRACKS)
    assert prompt == Prompt(
        key="tech-sub-ai",
        track="technology",
        text="Ask your mentor which AI tools they use.",
        stage="substance",
        title="AI tools in real work",
        prep="Pick one AI tool you could show.",
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_doc(_entry(), _entry()), "tech-sub-ai' is used twice"),
        (_doc(_entry(), track="cooking"), "unknown track 'cooking'"),
        (_doc(_entry(key="A B")), "lowercase slug"),
        (_doc(_entry(key="a" * 33)), "at most 32 characters"),
        (_doc(_entry(stage="middle")), "tech-sub-ai: stage 'middle' must be one of start"),
        (_doc(_entry(title="x" * 41)), "tech-sub-ai: title must be 3 to 40"),
        (_doc(_entry(topic="Hi")), "tech-sub-ai: topic must be 10 to 1000"),
        (_doc(_entry(prep="Hi")), "tech-sub-ai: prep must be 10 to 1000"),
        (_doc(_entry(prep="DROP")), "tech-sub-ai: missing field(s) prep"),
        (_doc(_entry(session="1")), "tech-sub-ai: unknown field(s) session"),
        ("technology: []\n", "non-empty list"),
        ("technology: [", "not valid YAML"),
        ("- a\n", "mapping of track"),
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


# --- admins' own prompts ---------------------------------------------------------------------


def test_custom_prompts_get_stable_keys_a_title_and_a_generic_prep() -> None:
    a = custom_prompt("inclusion", "Ask your mentor about their commute.", 2)
    assert a == custom_prompt("inclusion", "Ask your mentor about their commute.", 2)
    assert a.key.startswith("custom-") and len(a.key) <= 32
    assert a.key != custom_prompt("inclusion", "Ask your mentor about their weekend.", 2).key
    assert a.title == "Ask your mentor about their commute."
    assert a.prep.startswith("Think about what you'd like to show or ask about")
    assert a.stage == "substance"  # no programme length given


def test_a_custom_prompts_session_maps_to_a_stage_by_the_programme_length() -> None:
    def stage(session: int | None, total: int) -> Stage:
        return custom_prompt(
            "technology", "Ask your mentor something useful.", session, total_sessions=total
        ).stage

    assert stage(None, 6) == "substance"
    assert [stage(s, 6) for s in (1, 3, 5, 6)] == ["start", "substance", "commitments", "closing"]
    assert stage(9, 6) == "closing"  # beyond a shortened programme: its last session


def test_short_titles_cut_at_a_word_with_an_ellipsis() -> None:
    long = "Ask your mentor to show you the AI tools they actually use, and for what."
    title = short_title(long)
    assert len(title) <= MAX_TITLE and title.endswith("…") and long.startswith(title[:-1])
    assert short_title("Short and sweet") == "Short and sweet"
    assert len(short_title("x" * 90)) == MAX_TITLE
    assert admin_prompt("admin-1", "technology", "A  spaced   out  prompt text").text == (
        "A spaced out prompt text"
    )


# --- the arc ---------------------------------------------------------------------------------


def test_the_arc_for_one_to_twelve_sessions() -> None:
    assert arc(1) == ("start",)
    assert arc(2) == ("start", "closing")
    assert arc(3) == ("start", "substance", "closing")
    assert arc(4) == ("start", "substance", "commitments", "closing")
    for total in range(4, 13):
        stages = arc(total)
        assert stages[0] == "start" and stages[-1] == "closing"
        assert stages[-2] == "commitments"
        assert stages[1:-2] == ("substance",) * (total - 3)
    assert stage_of(7, 6) == "closing" and stage_of(0, 6) == "start"


# --- the pair's tracks -----------------------------------------------------------------------


def test_pair_tracks_prefer_shared_topics_then_what_the_senior_learns_then_all() -> None:
    tech, incl = load_topics()["technology"], load_topics()["inclusion"]
    assert pair_tracks([incl[0], tech[0]], [incl[0].upper()], TRACKS) == ("inclusion",)
    # Shared topics on both tracks: the track with more shared topics first.
    both = pair_tracks([tech[0], incl[0], incl[1]], [tech[0], incl[0], incl[1]], TRACKS)
    assert both == ("inclusion", "technology")
    # Nothing shared: what the senior wants to learn.
    assert pair_tracks([tech[0]], [incl[2]], TRACKS) == ("inclusion",)
    # Nothing known at all (or topics outside the programme's tracks): every programme track.
    assert pair_tracks(["Knitting"], ["Baking"], TRACKS) == TRACKS
    assert pair_tracks([incl[0]], [incl[0]], ("technology",)) == ("technology",)


# --- offering topics -------------------------------------------------------------------------


def _p(key: str, track: str = "technology", stage: Stage = "substance") -> Prompt:
    return Prompt(key, track, f"topic text {key}", stage, key, f"prep text {key}")


def _options(
    prompts: list[Prompt],
    stage: Stage = "substance",
    tracks: tuple[str, ...] = ("technology",),
    used: frozenset[str] = frozenset(),
    seed: int = 1,
    index: int = 0,
) -> tuple[Prompt, ...]:
    return session_options(
        prompts,
        stage=stage,
        tracks=tracks,
        all_tracks=TRACKS,
        substance_index=index,
        used_keys=used,
        rng=random.Random(seed),
    )


def test_options_come_from_the_stage_on_the_pairs_tracks_never_used_ones() -> None:
    prompts = [_p(f"t{i}") for i in range(5)] + [_p("s", stage="start"), _p("i", "inclusion")]
    options = _options(prompts, used=frozenset({"t0", "t1"}))
    assert len(options) == 3 and {p.key for p in options} == {"t2", "t3", "t4"}
    (start,) = [p.key for p in _options(prompts, stage="start")][:1]
    assert start == "s"


def test_substance_sessions_take_turns_over_the_pairs_tracks_and_mix_the_options() -> None:
    prompts = [_p(f"t{i}") for i in range(4)] + [_p(f"i{i}", "inclusion") for i in range(4)]
    even = _options(prompts, tracks=TRACKS, index=0)
    odd = _options(prompts, tracks=TRACKS, index=1)
    assert even[0].track == "technology" and odd[0].track == "inclusion"
    assert {p.track for p in even} == set(TRACKS) == {p.track for p in odd}


def test_a_dry_stage_falls_back_to_other_tracks_then_substance_then_anything() -> None:
    prompts = [
        _p("c", stage="closing"),
        _p("ic", "inclusion", "closing"),
        _p("t"),
        _p("s", stage="start"),
    ]
    keys = [p.key for p in _options(prompts, stage="closing")]
    assert keys == ["c", "ic", "t"]
    assert [
        p.key for p in _options(prompts, stage="closing", used=frozenset({"c", "ic", "t"}))
    ] == ["s"]
    everything = frozenset(p.key for p in prompts)
    assert _options(prompts, used=everything) == ()


def test_options_are_seeded_and_independent_of_input_order() -> None:
    prompts = list(load_prompts())
    first = [_options(prompts, seed=s) for s in range(20)]
    random.Random(0).shuffle(prompts)
    assert [_options(prompts, seed=s) for s in range(20)] == first
    assert len({o[0].key for o in first}) > 1  # the seed matters
