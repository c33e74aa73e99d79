"""`python -m bot serve` runs every configured door on one port; `teams-package` builds a valid app package."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from handlers.teams.manifest import ManifestError, manifest, validate
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import APP_ID, TENANT, free_port, request

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_URL", "PORT", "PUBLIC_URL", "DASHBOARD_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_teams_package_is_a_valid_zip_with_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    # Building the package needs the app ID and the address, no secret: neither DASHBOARD_SECRET (PUBLIC_URL is
    # https) nor TEAMS_APP_PASSWORD is set.
    env = clean_env(TEAMS_APP_ID=APP_ID, PUBLIC_URL="https://partnerup.example.org",
                    DATABASE_URL=f"sqlite:///{tmp_path}/p.db")  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "bot", "teams-package", "--out", str(out)], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert document["manifestVersion"] == "1.25" and document["id"] == APP_ID
    bot = document["bots"][0]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert {"agenda", "venue", "help", "partners"} <= {c["title"] for c in bot["commandLists"][0]["commands"]}
    assert document["validDomains"] == ["partnerup.example.org"]


@pytest.mark.parametrize(
    "change",
    [{"id": "not-a-guid"}, {"manifestVersion": "1.0"}, {"accentColor": "teal"}, {"unknownField": 1}],
)
def test_the_vendored_schema_catches_a_broken_manifest(change: dict) -> None:
    document = manifest(app_id=APP_ID, public_url="https://partnerup.example.org")
    validate(document)
    with pytest.raises(ManifestError):
        validate({**document, **change})


def test_teams_package_without_an_app_id_says_so(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "teams-package"], capture_output=True, text=True,
                            cwd=tmp_path, env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/p.db"), timeout=60)  # fmt: skip
    assert result.returncode == 2 and "TEAMS_APP_ID" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "env", "refused"),
    [
        (["serve"], {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "x"}, "DASHBOARD_SECRET"),
        (["serve"], {"TEAMS_APP_ID": APP_ID, "DASHBOARD_SECRET": "s" * 32}, "TEAMS_APP_PASSWORD"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "DASHBOARD_SECRET": "s" * 32}, "SLACK_SIGNING_SECRET"),
        (["worker"], {"TEAMS_APP_ID": APP_ID}, "TEAMS_APP_PASSWORD"),
        (["migrate"], {"TEAMS_APP_ID": APP_ID, "SLACK_BOT_TOKEN": "xoxb-1"}, None),
        (["purge", "--dry-run"], {"TEAMS_APP_ID": APP_ID}, None),
    ],
)
def test_each_command_checks_only_the_secrets_it_uses(tmp_path: Path, command, env, refused) -> None:
    env = clean_env(PUBLIC_URL="https://partnerup.example.org", DATABASE_URL=f"sqlite:///{tmp_path}/p.db", **env)
    result = subprocess.run([sys.executable, "-m", "bot", *command], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=60)  # fmt: skip
    if refused:
        assert result.returncode == 2 and refused in result.stderr and "Traceback" not in result.stderr
    else:
        assert result.returncode == 0, result.stderr


def test_serve_with_neither_door_exits_2_naming_both(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], capture_output=True, text=True, cwd=tmp_path,
                            env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/p.db"), timeout=60)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "TEAMS_APP_ID" in line


def test_serve_runs_slack_and_teams_on_one_port(tmp_path: Path, fake_slack) -> None:
    fake = FakeBotConnector()
    port = free_port()
    # A .env with the SDK's generic names next to the process: it must change nothing.
    (tmp_path / ".env").write_text("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS=true\nCLIENT_ID=someone-else\n")
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET="test-signing-secret", SLACK_API_URL=fake_slack.url,
        TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="test-secret", TEAMS_TENANT_ID=TENANT,
        TEAMS_OPENID_METADATA_URL=fake.openid_metadata_url, TEAMS_LOGIN_URL=fake.url,
        DATABASE_URL=f"sqlite:///{tmp_path}/p.db", PORT=str(port), CLIENT_SECRET="not-ours",
    )  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(f"{base}/healthz").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "serve did not come up"
            time.sleep(0.1)
        activity = {
            "type": "message", "id": "1", "serviceUrl": fake.service_url, "channelId": "msteams", "text": "help",
            "from": {"id": "29:u1", "name": "Ada", "aadObjectId": "aaaaaaaa-0000-4000-8000-0000000000aa"},
            "conversation": {"id": "a:c1", "conversationType": "personal", "tenantId": TENANT},
            "recipient": {"id": f"28:{APP_ID}"},
        }  # fmt: skip
        data = json.dumps(activity).encode()
        unsigned = request(f"{base}/api/messages", method="POST", data=data, headers={"Content-Type": "application/json"})
        assert unsigned.status == 401
        token = fake.token(app_id=APP_ID, service_url=fake.service_url)
        signed = request(f"{base}/api/messages", method="POST", data=data,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})  # fmt: skip
        assert signed.status == 200
        assert fake.activities("a:c1"), "the answer went to the connector"
        slack = request(f"{base}/slack/events", method="POST", data=b"{}", headers={"Content-Type": "application/json"})
        assert slack.status == 401  # the Slack door answered, and checked the signature
    finally:
        process.terminate()
        process.wait(timeout=20)
        fake.close()


def test_teams_settings_are_checked_and_only_teams_names_count() -> None:
    from bot.config import ConfigError, load_settings

    base = {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": "s",
        "PUBLIC_URL": "https://partnerup.example.org/",
        "DASHBOARD_SECRET": "a-test-secret-of-32-characters!!",
    }
    settings = load_settings({**base, "TEAMS_ORGANISER_IDS": "AAAAAAAA-0000-4000-8000-000000000001, "})
    assert settings.teams_configured and settings.public_url == "https://partnerup.example.org"
    assert settings.teams_organiser_ids == frozenset({"aaaaaaaa-0000-4000-8000-000000000001"})
    assert settings.teams_openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert settings.teams_login_url == "https://login.microsoftonline.com"
    assert "teams_app_password" not in repr(settings)
    assert not load_settings({"CLIENT_ID": APP_ID, "CLIENT_SECRET": "x"}).teams_configured
    for bad, name in (({"TEAMS_APP_PASSWORD": ""}, "TEAMS_APP_PASSWORD"), ({"TEAMS_ORGANISER_IDS": "U123"}, "TEAMS_ORGANISER_IDS"),
                      ({"TEAMS_LOGIN_URL": "login.example"}, "TEAMS_LOGIN_URL")):  # fmt: skip
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, **bad})


def test_other_web_pages_mount_next_to_the_doors(assistant) -> None:
    from handlers.asgi import build_asgi
    from tests.teams_harness import Served

    def page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"page at {environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]

    web = Served(build_asgi(health=assistant.db.ping, published=assistant.published, mounts={"/dashboard": page}))
    try:
        assert request(f"{web.url}/dashboard/people").body == b"page at /dashboard|/people"
        assert request(f"{web.url}/healthz").status == 200
        assert request(f"{web.url}/nothing-here").status == 404
    finally:
        web.close()
