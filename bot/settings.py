"""Load app.yaml and the environment into one validated `Settings` (README.md, "Configuration").

A mistake in app.yaml becomes one line per problem that names the key, what is allowed and what
was found — `matching.min_level_gap: must be an integer >= 0, got 'two'` — never a traceback.
Secrets come only from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from adapters.teams.trust import is_secure_fetch_url
from conversations.config import AppConfig
from storage.db import resolve_sqlite_path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///mentorbot.db"
SECRET_KEYS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "microsoft_app_password",
    "database_url",
    "admin_token",
)


ADMIN_TOKEN_MIN_LENGTH = 32  # a guess at the admin web must be hopeless, throttle or not


class ConfigError(Exception):
    """app.yaml or the environment is wrong; the message says what to fix."""


def _admin_token(env: Mapping[str, str]) -> str:
    """MENTORBOT_ADMIN_TOKEN, refused when set but too short to resist guessing."""
    token = env.get("MENTORBOT_ADMIN_TOKEN", "")
    if token and len(token) < ADMIN_TOKEN_MIN_LENGTH:
        # Never echo the value: it is a secret, even when a bad one.
        raise ConfigError(
            f"MENTORBOT_ADMIN_TOKEN: must be at least {ADMIN_TOKEN_MIN_LENGTH} characters, got "
            f"{len(token)}; make one with `openssl rand -hex 32`"
        )
    return token


def _seconds(
    env: Mapping[str, str], name: str, default: float, *, low: float, high: float
) -> float:
    """A duration in seconds from the environment, within [low, high]."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise ConfigError(
            f"{name}: must be a number of seconds from {low:g} to {high:g}, got {text!r}"
        )
    return value


@dataclass(frozen=True)
class Secrets:
    """Everything that comes from the environment."""

    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    microsoft_app_id: str = ""
    microsoft_app_password: str = ""
    microsoft_app_tenant_id: str = ""
    microsoft_app_type: str = ""
    teams_dev_mode: bool = False
    teams_allowed_tenants: str = ""  # comma-separated tenant ids (docs/teams.md)
    teams_allowed_service_urls: str = ""  # comma-separated Bot Connector URL prefixes
    teams_openid_metadata_url: str = ""  # tests and sovereign clouds: where signing keys live
    admin_token: str = ""
    public_url: str = ""  # where admins reach `serve` (https://…): for the links sent in chat
    host: str = "0.0.0.0"
    port: int = 3000
    tick_seconds: float = 15.0  # how often `serve` looks for due work (answers go out at once)
    lease_seconds: float = 120.0  # a crashed process's deliveries are retried after this
    db_wait_seconds: float = 30.0  # how long `serve` waits for a database that is starting

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        """Read the environment variables README.md lists ("Configuration"); a bad PORT is a
        ConfigError."""
        port_text = env.get("PORT", "3000")
        try:
            port = int(port_text)
            if not 0 <= port <= 65535:
                raise ValueError
        except ValueError:
            raise ConfigError(f"PORT: must be a port number 0-65535, got {port_text!r}") from None
        tick = _seconds(env, "MENTORBOT_TICK_SECONDS", 15.0, low=0.05, high=3600)
        lease = _seconds(env, "MENTORBOT_LEASE_SECONDS", 120.0, low=1, high=3600)
        db_wait = _seconds(env, "MENTORBOT_DB_WAIT_SECONDS", 30.0, low=0, high=3600)
        metadata_url = env.get("TEAMS_OPENID_METADATA_URL", "").strip()
        if metadata_url and not is_secure_fetch_url(metadata_url):
            # The signing keys come from here: over http anyone on the path could replace them.
            raise ConfigError(
                "TEAMS_OPENID_METADATA_URL: must be an https:// URL (http only on a loopback IP "
                f"such as http://127.0.0.1:PORT/, for tests), got {metadata_url[:200]!r}"
            )
        return cls(
            tick_seconds=tick,
            lease_seconds=lease,
            db_wait_seconds=db_wait,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL", ""),
            microsoft_app_id=env.get("MICROSOFT_APP_ID", ""),
            microsoft_app_password=env.get("MICROSOFT_APP_PASSWORD", ""),
            microsoft_app_tenant_id=env.get("MICROSOFT_APP_TENANT_ID", ""),
            microsoft_app_type=env.get("MICROSOFT_APP_TYPE", ""),
            teams_dev_mode=env.get("TEAMS_DEV_MODE", "") in ("1", "true", "yes"),
            teams_allowed_tenants=env.get("TEAMS_ALLOWED_TENANTS", ""),
            teams_allowed_service_urls=env.get("TEAMS_ALLOWED_SERVICE_URLS", ""),
            teams_openid_metadata_url=metadata_url,
            admin_token=_admin_token(env),
            public_url=env.get("MENTORBOT_PUBLIC_URL", "").strip(),
            host=env.get("HOST", "0.0.0.0"),
            port=port,
        )


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one deployment."""

    config: AppConfig
    secrets: Secrets
    config_path: Path | None = None


def _describe_expected(error: Mapping[str, Any]) -> str:
    """What was allowed, in words, from one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    bound = ""
    for key, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in ctx:
            bound = f" {symbol} {ctx[key]}"
    plain = {
        "int_parsing": "must be an integer",
        "int_type": "must be an integer",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "date_from_datetime_parsing": "must be a date like 2027-01-11",
        "date_parsing": "must be a date like 2027-01-11",
        "date_type": "must be a date like 2027-01-11",
        "missing": "is required",
        "extra_forbidden": "is not a known key",
        "string_type": "must be text",
        "tuple_type": "must be a list",
        "list_type": "must be a list",
        "model_type": "must be a mapping of keys",
        "model_attributes_type": "must be a mapping of keys",
        "literal_error": f"must be one of {ctx.get('expected', '')}",
        "string_pattern_mismatch": f"must match {ctx.get('pattern', '')}",
        "too_short": f"must have at least {ctx.get('min_length', 1)} item(s)",
        "string_too_short": f"must be at least {ctx.get('min_length', 1)} character(s)",
        "string_too_long": f"must be at most {ctx.get('max_length', '')} characters",
        "too_long": f"must have at most {ctx.get('max_length', '')} items",
    }
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        number = "an integer" if isinstance(error.get("input"), int) else "a number"
        return f"must be {number}{bound}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind in ("int_parsing", "int_type") and bound:
        return f"must be an integer{bound}"
    return plain.get(kind, error["msg"])


def _bound_of(model: type[Any], loc: tuple[Any, ...]) -> str:
    """The numeric bounds of the field at `loc`, for messages like 'an integer >= 0'."""
    field_model: Any = model
    info = None
    for part in loc:
        fields = getattr(field_model, "model_fields", None)
        if not fields or part not in fields:
            return ""
        info = fields[part]
        field_model = info.annotation
    if info is None:
        return ""
    words = []
    for meta in info.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                words.append(f"{symbol} {value}")
    return " and ".join(words)


def format_validation_error(error: ValidationError, model: type[Any]) -> list[str]:
    """One line per problem: `key.path: what is allowed, got 'found'`."""
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        path = path or "(top level)"
        expected = _describe_expected(item)
        if item["type"] in ("int_parsing", "int_type", "float_parsing", "float_type"):
            bound = _bound_of(model, loc)
            if bound:
                expected = f"{expected} {bound}"
        if item["type"] in ("missing", "extra_forbidden", "value_error"):
            lines.append(f"{path}: {expected}")
        else:
            lines.append(f"{path}: {expected}, got {item.get('input')!r}")
    return lines


def parse_config(raw: Any, *, source: str = "app.yaml") -> AppConfig:
    """Validate a loaded YAML document into an AppConfig or raise ConfigError."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: must be a mapping of keys (programme:, matching:, …)")
    leaked = sorted(_find_secrets(raw))
    if leaked:
        raise ConfigError(
            f"{source}: {', '.join(leaked)}: secrets belong in the environment, not app.yaml"
        )
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as error:
        lines = format_validation_error(error, AppConfig)
        raise ConfigError("\n".join(f"{source}: {line}" for line in lines)) from None


def _find_secrets(raw: Mapping[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if str(key).casefold() in SECRET_KEYS or str(key).casefold().endswith(
            ("token", "password")
        ):
            found.append(path)
        elif isinstance(value, Mapping):
            found.extend(_find_secrets(value, f"{path}."))
    return found


def load_config(path: Path) -> AppConfig:
    """Read and validate app.yaml; every problem becomes a ConfigError line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file. Copy the example app.yaml from the Mentorbot repository, "
            "or pass --config PATH."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {problem}{where}") from None
    return parse_config(raw, source=str(path.name))


def load_settings(config_path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """The settings for one deployment: app.yaml plus the environment.

    A relative SQLite path in DATABASE_URL (the default `mentorbot.db` too) is taken relative
    to the folder of `config_path`, not the current directory: every command run with the same
    app.yaml uses the same database, wherever it is started from.
    """
    env = os.environ if env is None else env
    config = load_config(config_path)
    secrets = Secrets.from_env(env)
    base = config_path.absolute().parent
    secrets = replace(secrets, database_url=resolve_sqlite_path(secrets.database_url, base))
    return Settings(config=config, secrets=secrets, config_path=config_path)
