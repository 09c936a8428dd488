"""The access log of `mentorbot serve`: one line per request, with the path but never the query.

aiohttp's default format prints the whole request line, so a link's token or a chart link's
signature would land in every log collector. Nothing the bot serves needs its query string to
be understood from the log, so no route logs it (Slack and Teams routes included).
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


class PathOnlyAccessLogger(AbstractAccessLogger):
    """`ADDRESS "METHOD /path HTTP/1.1" STATUS BYTES SECONDS`, without the query string."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Write one line for a finished request."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        try:
            version = f"HTTP/{request.version.major}.{request.version.minor}"
            self.logger.info(
                '%s "%s %s %s" %s %s %.3fs',
                request.remote or "-",
                request.method,
                # The path as sent, without `?…`; `rel_url` needs no Host header to build.
                request.rel_url.raw_path,
                version,
                response.status,
                response.body_length,
                time,
            )
        except Exception:  # a log line must never break a request (aiohttp's logger agrees)
            self.logger.exception("access log: could not write a line")

    @property
    def enabled(self) -> bool:
        """Whether aiohttp should call `log` at all."""
        return self.logger.isEnabledFor(logging.INFO)
