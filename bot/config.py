"""Settings read from the environment (and ``.env``), validated once at start-up.

A wrong setting must stop the process with one readable line, never a traceback, so
operators see at once which variable to fix. Secrets are kept out of ``repr``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("partnerup.db")
CONSOLE_SQLITE_PATH = Path("partnerup-console.db")  # the console's own: its demo cast never reaches serve's database
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What a command may need besides the database (see check_needs); python -m bot names them per command.
DASHBOARD, SLACK_HTTP, TEAMS_SENDING = "dashboard", "slack http", "teams sending"
EVERYTHING = frozenset({DASHBOARD, SLACK_HTTP, TEAMS_SENDING})


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the processes need from the environment."""

    database_url: str
    console_database_url: str = f"sqlite:///{CONSOLE_SQLITE_PATH}"
    port: int = 3000
    web_processes: int = 1  # python -m bot serve: this many web processes on one port (PostgreSQL only)
    log_level: str = "INFO"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    organiser_ids: frozenset[str] = frozenset()
    organiser_usergroup: str | None = None
    requests_per_day: int = 20
    nudge_after_hours: float = 24.0
    worker_rate: float = 5.0
    worker_lease_seconds: float = 120.0
    public_url: str = "http://localhost:3000"
    public_url_given: bool = False  # PUBLIC_URL was set: people can open it (not only this machine)
    dashboard_secret: str | None = field(default=None, repr=False)
    event_retention_days: int = 90
    teams_app_id: str | None = None
    teams_app_password: str | None = field(default=None, repr=False)
    teams_tenant_id: str | None = None
    teams_organiser_ids: frozenset[str] = frozenset()
    teams_openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_login_url: str = "https://login.microsoftonline.com"
    agenda_source_url: str | None = None  # the worker follows this programme (bot.agenda_sync)
    agenda_source_format: str = "auto"
    agenda_sync_minutes: float = 10.0

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def teams_configured(self) -> bool:
        return bool(self.teams_app_id)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def slack_calendar_links(self) -> bool:
        """Slack's answer to an Accept shows the booking with an Add to calendar link (PUBLIC_URL/calendar/...)
        instead of a second message with the file attached: only where people can open PUBLIC_URL (it was set)
        and this process serves it (not Slack's Socket Mode alone, which serves no HTTP)."""
        return self.public_url_given and (not self.socket_mode or self.teams_configured)


def _clean(env: dict[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _number(env: dict[str, str], name: str, default: str, kind: type, *, low: float, high: float) -> float:
    text = _clean(env, name) or default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}, not {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}, not {text!r}")
    return value


def load_settings(
    env: dict[str, str] | None = None, *, require_slack: bool = False, needs: Iterable[str] = EVERYTHING
) -> Settings:
    """Build :class:`Settings` from ``env`` (default: ``os.environ`` after loading ``.env``). A value that is set
    but wrong is always refused; a secret that is missing only when ``needs`` says the command uses it (see
    :func:`check_needs`; ``python -m bot teams-package`` needs none, ``serve`` all).

    Raises:
        ConfigError: naming the first variable that is missing or invalid.
    """
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(override=False)
        env = dict(os.environ)

    given_url = _clean(env, "DATABASE_URL")
    database_url = given_url or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if "://" not in database_url:
        raise ConfigError("DATABASE_URL must be a URL such as sqlite:///partnerup.db or postgresql+psycopg://user@host/db")
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        # Heroku-style URLs name no driver; we ship psycopg 3.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    port_text = _clean(env, "PORT") or "3000"
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"PORT must be a whole number between 1 and 65535, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"PORT must be a whole number between 1 and 65535, not {port}")

    log_level = (_clean(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")

    bot_token = _clean(env, "SLACK_BOT_TOKEN")
    signing_secret = _clean(env, "SLACK_SIGNING_SECRET")
    app_token = _clean(env, "SLACK_APP_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    if require_slack and not bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (use `python -m bot console` to try the bot without Slack)")

    api_url = _clean(env, "SLACK_API_URL")
    if api_url:
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError("SLACK_API_URL must start with http:// or https://")
        if not api_url.endswith("/"):
            api_url += "/"

    organisers = frozenset(part.strip() for part in (env.get("ORGANISER_IDS") or "").split(",") if part.strip())
    for user_id in organisers:
        if not user_id.isalnum() or user_id[0] not in "UW":
            raise ConfigError(f"ORGANISER_IDS must be comma-separated Slack user IDs such as U012ABCDEF, not {user_id!r}")

    requests_per_day = _number(env, "MEETING_REQUESTS_PER_DAY", "20", int, low=1, high=10_000)
    nudge_after_hours = _number(env, "MEETING_NUDGE_AFTER_HOURS", "24", float, low=0.1, high=24 * 30)

    worker_rate = _number(env, "WORKER_MESSAGES_PER_SECOND", "5", float, low=0.1, high=100)
    worker_lease = _number(env, "WORKER_LEASE_SECONDS", "120", float, low=1, high=3600)

    retention_days = _number(env, "EVENT_RETENTION_DAYS", "90", int, low=0, high=3650)

    usergroup = _clean(env, "ORGANISER_USERGROUP")
    if usergroup and not (usergroup.isalnum() and usergroup.startswith("S")):
        raise ConfigError(f"ORGANISER_USERGROUP must be a Slack user group ID such as S0123ABCD, not {usergroup!r}")

    public_url = (_clean(env, "PUBLIC_URL") or f"http://localhost:{port}").rstrip("/")
    if not public_url.startswith(("http://", "https://")) or " " in public_url:
        raise ConfigError(
            f"PUBLIC_URL must be the address people open, such as https://partnerup.example.com, not {public_url!r}"
        )
    dashboard_secret = _clean(env, "DASHBOARD_SECRET")
    if dashboard_secret and len(dashboard_secret) < 16:
        raise ConfigError(
            "DASHBOARD_SECRET must be at least 16 characters long (e.g. from `python -c 'import secrets; print(secrets.token_hex())'`)"
        )

    web_processes = _number(env, "WEB_PROCESSES", "1", int, low=1, high=32)  # serve checks it against the database

    teams = _teams_settings(env)
    agenda = _agenda_settings(env)

    settings = Settings(
        **teams,
        **agenda,
        public_url=public_url,
        public_url_given=_clean(env, "PUBLIC_URL") is not None,
        dashboard_secret=dashboard_secret,
        organiser_usergroup=usergroup,
        worker_rate=float(worker_rate),
        worker_lease_seconds=float(worker_lease),
        requests_per_day=int(requests_per_day),
        event_retention_days=int(retention_days),
        nudge_after_hours=float(nudge_after_hours),
        database_url=database_url,
        console_database_url=database_url if given_url else f"sqlite:///{CONSOLE_SQLITE_PATH}",
        port=port,
        web_processes=int(web_processes),
        log_level=log_level,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        organiser_ids=organisers,
    )
    check_needs(settings, needs)
    return settings


def check_needs(settings: Settings, needs: Iterable[str]) -> None:
    """Refuse, naming the variable, when a command needs a secret that is not set: ``DASHBOARD`` (the dashboard's
    cookie secret when PUBLIC_URL is https), ``SLACK_HTTP`` (the signing secret Slack's HTTP mode verifies
    requests with), ``TEAMS_SENDING`` (the Teams app's client secret).

    Raises:
        ConfigError: the first missing one.
    """
    needs = set(needs)
    if (
        SLACK_HTTP in needs
        and settings.slack_bot_token
        and not settings.slack_app_token
        and not settings.slack_signing_secret
    ):
        raise ConfigError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack")
    if TEAMS_SENDING in needs and settings.teams_app_id and not settings.teams_app_password:
        raise ConfigError("TEAMS_APP_PASSWORD is not set; the Teams app needs its client secret to send messages")
    if DASHBOARD in needs and settings.public_url.startswith("https://") and not settings.dashboard_secret:
        raise ConfigError(
            "DASHBOARD_SECRET is not set; it signs the dashboard's cookies and is required when PUBLIC_URL is https"
        )


def _agenda_settings(env: dict[str, str]) -> dict:
    """AGENDA_SOURCE_URL (and AGENDA_SOURCE_FORMAT, AGENDA_SYNC_MINUTES): the live programme the worker follows."""
    url = _clean(env, "AGENDA_SOURCE_URL")
    if url and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"AGENDA_SOURCE_URL must be an http(s) URL of the programme export, not {url[:80]!r}")
    fmt = (_clean(env, "AGENDA_SOURCE_FORMAT") or "auto").lower()
    formats = ("auto", "schedule-xml", "schedule-json", "indico", "ics", "csv", "xlsx")
    if fmt not in formats:
        raise ConfigError(f"AGENDA_SOURCE_FORMAT must be one of {', '.join(formats)}, not {fmt[:40]!r}")
    minutes = _number(env, "AGENDA_SYNC_MINUTES", "10", float, low=1, high=1440)
    return {"agenda_source_url": url, "agenda_source_format": fmt, "agenda_sync_minutes": float(minutes)}


def _teams_settings(env: dict[str, str]) -> dict:
    """The TEAMS_* settings; only these names are read, never the SDK's generic CLIENT_ID and friends."""
    app_id = _clean(env, "TEAMS_APP_ID")
    password = _clean(env, "TEAMS_APP_PASSWORD")
    organisers = frozenset(
        part.strip().lower() for part in (env.get("TEAMS_ORGANISER_IDS") or "").split(",") if part.strip()
    )
    for object_id in organisers:
        if len(object_id) != 36 or object_id.count("-") != 4 or not object_id.replace("-", "").isalnum():
            raise ConfigError(f"TEAMS_ORGANISER_IDS must be comma-separated Entra object IDs (GUIDs), not {object_id!r}")
    urls = {}
    for name, default in (
        ("TEAMS_OPENID_METADATA_URL", "https://login.botframework.com/v1/.well-known/openidconfiguration"),
        ("TEAMS_LOGIN_URL", "https://login.microsoftonline.com"),
    ):
        url = (_clean(env, name) or default).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must start with https://")
        urls[name.lower()] = url
    return {
        "teams_app_id": app_id,
        "teams_app_password": password,
        "teams_tenant_id": _clean(env, "TEAMS_TENANT_ID"),
        "teams_organiser_ids": organisers,
        **urls,
    }


class SecretFilter(logging.Filter):
    """Masks token-looking strings in log records so secrets never reach the logs."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, with secrets masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(
        SecretFilter(
            [
                settings.slack_bot_token or "",
                settings.slack_signing_secret or "",
                settings.slack_app_token or "",
                settings.dashboard_secret or "",
                settings.teams_app_password or "",
            ]
        )  # fmt: skip
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per 2-second tick otherwise
