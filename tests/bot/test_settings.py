"""app.yaml mistakes become one precise line each, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Secrets, load_config, parse_config

START = {"start_date": "2027-01-11"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"programme": START, "matching": {"min_level_gap": "two"}},
            "matching.min_level_gap: must be an integer >= 0 and <= 100, got 'two'",
        ),
        (
            {"programme": START, "matching": {"min_level_gap": -1}},
            "matching.min_level_gap: must be an integer >= 0, got -1",
        ),
        (
            {"programme": {**START, "timezone": "Mars/Base"}},
            "programme.timezone: must be an IANA time zone name such as Europe/London, "
            "got 'Mars/Base'",
        ),
        (
            {"programme": {**START, "working_days": ["mon", "funday"]}},
            "programme.working_days[1]: must be one of",
        ),
        ({"programme": {}}, "programme.start_date: is required"),
        ({"programme": {**START, "sessionz": 3}}, "programme.sessionz: is not a known key"),
        (
            {"programme": START, "slack": {"bot_token": "xoxb"}},
            "slack.bot_token: secrets belong in the environment",
        ),
        ({"programme": {"start_date": "soon"}}, "programme.start_date: must be a date like"),
        ([1, 2], "must be a mapping of keys"),
    ],
)
def test_each_mistake_is_one_precise_line(raw: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    text = str(caught.value)
    assert message in text
    assert len(text.splitlines()) == 1


def test_the_example_app_yaml_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "app.yaml")
    assert config.programme.sessions == 6 and config.matching.min_level_gap == 2


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("programme:\n  start_date: [2027\n")
    with pytest.raises(ConfigError, match=r"app.yaml: .* at line \d"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.yaml")


def test_environment_is_read_and_checked() -> None:
    secrets = Secrets.from_env({"DATABASE_URL": "postgresql://x/y", "TEAMS_DEV_MODE": "1"})
    assert secrets.database_url == "postgresql://x/y" and secrets.teams_dev_mode
    assert Secrets.from_env({}).database_url.startswith("sqlite+aiosqlite")
    with pytest.raises(ConfigError, match="PORT: must be a port number"):
        Secrets.from_env({"PORT": "eighty"})


def test_an_admin_token_under_32_characters_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        Secrets.from_env({"MENTORBOT_ADMIN_TOKEN": "s" * 31})
    message = str(refused.value)
    assert message.startswith("MENTORBOT_ADMIN_TOKEN: must be at least 32 characters, got 31")
    assert "s" * 31 not in message and "\n" not in message  # one line, never the secret
    assert Secrets.from_env({"MENTORBOT_ADMIN_TOKEN": "s" * 32}).admin_token == "s" * 32
    assert Secrets.from_env({}).admin_token == ""  # unset: the dashboard is simply off


async def test_serve_and_every_other_command_refuse_a_short_admin_token(tmp_path: Path) -> None:
    """The real `mentorbot serve` (and `report`, which reads the same settings) exits 1 with
    one line naming the variable, before opening the database or a port."""
    import asyncio
    import os
    import sys

    (tmp_path / "app.yaml").write_text("programme:\n  start_date: 2027-01-11\n")
    short = "short-admin-token-0123456789"  # 28 characters
    env = {
        **os.environ,
        "MENTORBOT_ADMIN_TOKEN": short,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}",
        "HOST": "127.0.0.1",
        "PORT": "0",
    }
    for command in (["serve"], ["report"]):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(tmp_path / "app.yaml"),
            *command,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 1, command
        assert err.decode().splitlines() == [
            "mentorbot: MENTORBOT_ADMIN_TOKEN: must be at least 32 characters, got 28; make "
            "one with `openssl rand -hex 32`"
        ]
        assert b"listening" not in out and short.encode() not in out + err
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://login.botframework.com/v1/.well-known/openidconfiguration",
        "http://localhost:8080/openid",  # a name, which may resolve anywhere
        "ftp://example.com/openid",
        "not a url",
    ],
)
def test_an_openid_metadata_url_that_is_not_https_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Secrets.from_env({"TEAMS_OPENID_METADATA_URL": url})
    message = str(refused.value)
    assert message.startswith("TEAMS_OPENID_METADATA_URL: must be an https:// URL")
    assert "\n" not in message


@pytest.mark.parametrize(
    "url", ["https://login.botframework.com/v1/.well-known/openidconfiguration",
            "http://127.0.0.1:8080/openid", "http://[::1]:8080/openid"],
)  # fmt: skip
def test_https_or_a_loopback_ip_metadata_url_is_accepted(url: str) -> None:
    assert Secrets.from_env({"TEAMS_OPENID_METADATA_URL": url}).teams_openid_metadata_url == url


async def test_serve_refuses_an_http_openid_metadata_url_with_one_line(tmp_path: Path) -> None:
    """Signing keys over plain http could be replaced by anyone on the network path."""
    import asyncio
    import os
    import sys

    (tmp_path / "app.yaml").write_text("programme:\n  start_date: 2027-01-11\n")
    env = {
        **os.environ,
        "MICROSOFT_APP_ID": "00000000-0000-0000-0000-00000000a11d",
        "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
        "TEAMS_ALLOWED_TENANTS": "tenant-1",
        "TEAMS_OPENID_METADATA_URL": "http://keys.example.net/openid",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}",
        "HOST": "127.0.0.1",
        "PORT": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(tmp_path / "app.yaml"), "serve",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:  # it started serving after all: never leave it running
            process.kill()
            await process.wait()
    assert process.returncode == 1
    assert err.decode().splitlines() == [
        "mentorbot: TEAMS_OPENID_METADATA_URL: must be an https:// URL (http only on a loopback "
        "IP such as http://127.0.0.1:PORT/, for tests), got 'http://keys.example.net/openid'"
    ]
    assert b"listening" not in out


def test_the_juniors_choice_must_come_before_the_pairs_topic() -> None:
    programme = {"start_date": "2027-01-11", "prep_lead_days": 2, "prompt_lead_days": 2}
    with pytest.raises(ConfigError) as refused:
        parse_config({"programme": programme})
    (line,) = str(refused.value).splitlines()
    assert "prep_lead_days (2) must be greater than prompt_lead_days (2)" in line
    fine = parse_config({"programme": {"start_date": "2027-01-11"}}).programme
    assert (fine.prep_lead_days, fine.prompt_lead_days) == (4, 2)
