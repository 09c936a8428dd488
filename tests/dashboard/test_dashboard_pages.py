"""The dashboard's templates and charts escape everything, and its links and cookies are sound."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from bot.dashboard.auth import (
    bearer_ok,
    chart_link,
    chart_link_ok,
    link_hash,
    logout_ok,
    logout_token,
    new_token,
    session_hash,
    token_matches,
)
from bot.dashboard.charts import Bar, Segment, bar_chart, line_chart
from bot.dashboard.page import page_context
from bot.dashboard.responses import template_environment
from conversations.insights.summary import build_insights
from conversations.insights.windows import (
    SESSION,
    PublishedPulse,
    WindowKey,
    published_comments,
    window_figures,
)
from conversations.types import (
    InsightsData,
    PairHealth,
    ParticipantFact,
    PromptFact,
    PulseFact,
    Unreachable,
)

NOW = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
SCRIPT = '<script>alert("x")</script>'
QUOTES = 'Zoë "Zed" O\'Neil'
RTL = "מרים כהן"
EVIL_DEPT = "<b onmouseover=alert(1)>Ops</b>"
SECRET = "s3cret-admin-token-0123456789abcdef"


def render_dashboard(programme: str = "Reverse <i>Mentoring</i>") -> str:
    participants = tuple(ParticipantFact(i, "mentor", EVIL_DEPT) for i in range(6))
    pulses = tuple(
        PulseFact(
            i, "mentor", 4, True, NOW - timedelta(days=3), SCRIPT, 1, 1, None, f"{SCRIPT} {i}"
        )
        for i in range(6)
    )
    window = window_figures(WindowKey(SESSION, "1:1"), pulses, 5, NOW)
    comments = published_comments(pulses, (window,), UTC)
    data = InsightsData(
        participants=participants,
        pairs=(PairHealth(1, SCRIPT, QUOTES, "active", 1, NOW, 0, 1, 0),),
        prompts=(PromptFact(1, "technology", '<img src=x onerror="alert(2)">', "admin", 2),),
        unreachable=(Unreachable(RTL, "no Slack or Teams account linked"),),
    )
    insights = build_insights(data, PublishedPulse(5, (window,), comments=comments), k=5, now=NOW)
    template = template_environment().get_template("dashboard.html")
    return template.render(programme=programme, as_of="1 Apr 2027", **page_context(insights))


def test_names_scripts_quotes_and_rtl_text_are_escaped() -> None:
    html = render_dashboard()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Zoë &#34;Zed&#34; O&#39;Neil" in html
    assert f"<bdi>{RTL}</bdi>" in html  # isolated, so RTL text cannot reorder the table
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;" in html
    assert "<i>Mentoring</i>" not in html and "Reverse &lt;i&gt;Mentoring&lt;/i&gt;" in html


def test_every_template_is_autoescaped() -> None:
    env = template_environment()
    for name in ("notice.html", "login.html"):
        html = env.get_template(name).render(
            programme=SCRIPT, heading=SCRIPT, message=SCRIPT, login=True, error=SCRIPT
        )
        assert "<script" not in html, name


def test_charts_carry_their_values_and_escape_labels() -> None:
    svg = bar_chart(
        "demo", "A <title>", [Bar(SCRIPT, (Segment("held", 3, "held"),), "3 of 4", total=4.0)]
    )
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert 'data-chart="demo"' in svg and 'data-value="3"' in svg and 'data-value="4"' in svg
    line = line_chart("trend", "Trend", [("w1", 4.0), ("w2", None), ("w3", 3.5)])
    assert re.findall(r'data-value="([\d.]+)"', line) == ["4.00", "3.50"]
    assert line.count('data-hidden="1"') == 1
    assert "<polyline" not in line  # a hidden week breaks the line instead of bridging it


def test_the_chart_link_works_for_30_days_only() -> None:
    link = chart_link(SECRET, "https://bot.example.com/", NOW)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "bot.example.com",
        "/admin/chart.png",
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert SECRET not in link
    assert chart_link_ok(SECRET, query["exp"], query["sig"], NOW + timedelta(days=29))
    assert not chart_link_ok(SECRET, query["exp"], query["sig"], NOW + timedelta(days=30))
    assert not chart_link_ok("another-token", query["exp"], query["sig"], NOW)
    later = str(int(query["exp"]) + 3600)
    assert not chart_link_ok(SECRET, later, query["sig"], NOW)  # the expiry is signed
    assert not chart_link_ok("", query["exp"], query["sig"], NOW)


def test_stored_hashes_are_keyed_by_the_token_and_by_use() -> None:
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    # The database keeps hashes only; rotating the admin token changes every one of them.
    assert token not in link_hash(SECRET, token)
    assert link_hash(SECRET, token) != link_hash(SECRET + "x", token)
    # A link's token can never pass as a session's, nor a session's as its logout field.
    assert link_hash(SECRET, token) != session_hash(SECRET, token)
    assert logout_token(SECRET, token) not in (session_hash(SECRET, token), token)
    assert logout_ok(SECRET, token, logout_token(SECRET, token))
    assert not logout_ok(SECRET, token, logout_token(SECRET, new_token()))
    assert not logout_ok(SECRET, token, "")


def test_token_checks() -> None:
    assert token_matches(SECRET, SECRET) and not token_matches(SECRET, SECRET + "x")
    assert not token_matches("", "")  # no token configured: nothing matches
    assert bearer_ok(SECRET, f"Bearer {SECRET}") and bearer_ok(SECRET, f"bearer {SECRET}")
    assert not bearer_ok(SECRET, f"Basic {SECRET}") and not bearer_ok(SECRET, "Bearer")


def test_the_spoke_openly_card_shows_a_share_only_from_k_or_more_answers() -> None:
    from conversations.types import SpokeOpenly

    data = InsightsData(participants=tuple(ParticipantFact(i, "mentor", "") for i in range(6)))
    empty = PublishedPulse(5, ())
    few = build_insights(data, empty, k=5, now=NOW, spoke_openly=SpokeOpenly(4, 2, 1, 1))
    card = next(c for c in page_context(few)["cards"] if c[0] == "Spoke openly")
    assert card == ("Spoke openly", "—", "not enough answers yet (needs 5 in a round)")
    assert few.spoke_openly.respondents == 0  # the 4 answers never reach the page
    enough = build_insights(data, empty, k=5, now=NOW, spoke_openly=SpokeOpenly(20, 12, 5, 3))
    card = next(c for c in page_context(enough)["cards"] if c[0] == "Spoke openly")
    assert card == ("Spoke openly", "85%", "yes or mostly: 17 of 20 closing answers")
    html = (
        template_environment()
        .get_template("dashboard.html")
        .render(programme="RM", as_of="1 Apr 2027", **page_context(enough))
    )
    assert "Spoke openly" in html and "85%" in html
