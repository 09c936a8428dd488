"""Hypothesis strategies for hostile payloads.

`shaped(template)` keeps a real payload's shape but lets every key go missing, keep its
documented value, or take any JSON value of the wrong type; strings become odd text (RTL and
zero-width marks, lone surrogates as JSON writes them, NUL, Slack/Teams markup, huge strings).
That reaches the branches a purely random document never would (a dict with `type:
event_callback` and an `event` that is a list, say).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SPECIALS = (
    "\x00",  # NUL
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",  # ZERO WIDTH JOINER
    "\ufeff",  # BOM / ZERO WIDTH NO-BREAK SPACE
    "\u2028",  # LINE SEPARATOR
    "\u00a0",  # NO-BREAK SPACE
    "\u3000",  # IDEOGRAPHIC SPACE
    "\ud800",  # lone high surrogate (json.loads gives this for "\\ud800")
    "\udfff",  # lone low surrogate
    "\U0001f600",
    "\u0660",  # ARABIC-INDIC DIGIT ZERO (str.isdigit is true)
    "&lt;",
    "&amp;",
    "<@U0SAM>",
    "<at>Mentorbot</at>",
    "<mailto:a@b.c|a@b.c>",
    "=cmd|' /C calc'!A0",
    "--force",
    " with ",
    "until",
    "/",
    "%",
    "\t",
    "\r\n",
)
HUGE = ("x" * 200_000, "\u202e" * 50_000, "é" * 100_001, "a@b.c " * 30_000)

odd_text: st.SearchStrategy[str] = st.one_of(
    st.lists(st.one_of(st.characters(), st.sampled_from(SPECIALS)), max_size=30).map("".join),
    st.sampled_from(SPECIALS),
    st.sampled_from(HUGE),
)
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(odd_text, children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def _shaped(draw: st.DrawFn, template: Any) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # the whole part has the wrong type
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            fate = draw(st.integers(0, 9))
            if fate < 5:
                out[key] = value  # as documented
            elif fate < 8:
                out[key] = draw(_shaped(value))  # same shape, odd inside
            elif fate < 9:
                out[key] = draw(json_values)  # any type at all
            # else: missing
        return out
    if isinstance(template, list):
        if not template:
            return draw(st.lists(json_values, max_size=3))
        return draw(st.lists(_shaped(template[0]), max_size=3))
    if isinstance(template, str):
        return draw(st.one_of(st.just(template), odd_text))
    return draw(st.one_of(st.just(template), scalars))


def shaped(template: Any) -> st.SearchStrategy[Any]:
    """Values shaped like `template`: each part documented, odd inside, retyped or missing."""
    return _shaped(template)


def anchored(template: dict[str, Any], **fixed: Any) -> st.SearchStrategy[Any]:
    """Like `shaped`, but always a dict whose `fixed` keys keep their value (dispatch keys)."""
    rest = {k: v for k, v in template.items() if k not in fixed}
    return _shaped(rest).map(lambda d: {**d, **fixed} if isinstance(d, dict) else dict(fixed))
