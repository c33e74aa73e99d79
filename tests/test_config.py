"""Settings: a wrong one stops the process with one clear line and exit status 2."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, SecretFilter, load_settings


def test_defaults_use_the_embedded_database() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///partnerup.db"
    assert settings.port == 3000
    assert not settings.slack_configured


def test_heroku_style_postgres_url_gets_the_psycopg_driver() -> None:
    assert load_settings({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"ORGANISER_IDS": "U123, bob"}, "ORGANISER_IDS"),
        ({"DATABASE_URL": "partnerup.db"}, "DATABASE_URL"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_organiser_ids_are_parsed() -> None:
    assert load_settings({"ORGANISER_IDS": "U123, U456 ,"}).organiser_ids == {"U123", "U456"}


def test_secrets_are_masked_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", ("xoxb-secret-1",), None)
    SecretFilter(["xoxb-secret-1"]).filter(record)
    assert record.getMessage() == "token is [redacted]"


def test_serve_with_a_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-secret-value", "PORT": "not-a-port"})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "partnerup: PORT must be a whole number between 1 and 65535, not 'not-a-port'"
    ]
    assert "xoxb-secret-value" not in result.stderr + result.stdout


def test_serve_without_a_token_points_to_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "console" in result.stderr
    assert "Traceback" not in result.stderr
