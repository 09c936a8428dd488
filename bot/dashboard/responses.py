"""How the dashboard answers: its pages rendered from the packaged templates, escaping
everything, with the security headers every response carries."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from bot.app import Mentorbot

TEMPLATES = "bot.dashboard.templates"
# The page needs nothing but its own stylesheet: no script may run, whatever a name contains.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A link carries its token in the URL: never pass it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def template_environment() -> jinja2.Environment:
    """Jinja2 over the packaged templates, escaping everything it renders."""

    def load(name: str) -> str:
        return resources.files(TEMPLATES).joinpath(name).read_text(encoding="utf-8")

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    """The dashboard's pages for one bot, named after its programme."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.templates = template_environment()

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        """A page from the templates, with the security headers."""
        context.setdefault("programme", self.bot.settings.config.programme.name)
        html = self.templates.get_template(name).render(**context)
        return web.Response(
            text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
        )

    def notice(
        self, status: int, heading: str, message: str, *, login: bool = False
    ) -> web.Response:
        response = self.render("notice.html", status, heading=heading, message=message, login=login)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="mentorbot admin"'
        return response


def see_other(location: str) -> web.Response:
    """A 303 to `location` (after a form post or a link, the browser then GETs the page)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})
