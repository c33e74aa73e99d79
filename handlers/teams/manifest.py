"""The Teams app package: manifest.json (schema 1.25) with the bot, its scopes and command lists, and the two
icons, zipped for upload; validated against the schema file shipped next to it (no network needed)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).parent / "package"
SCHEMA_FILE = HERE / "MicrosoftTeams.v1.25.schema.json"
MANIFEST_VERSION = "1.25"
SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.25/MicrosoftTeams.schema.json"
COMMANDS = [
    ("agenda", "The programme: agenda, agenda day 2, agenda now, agenda <words>"),
    ("venue", "Where things happen, with addresses and directions"),
    ("partners", "Find people to meet: suggestions, or partners <words>"),
    ("meet", "Ask someone for a 1:1 meeting (pick them from partners)"),
    ("meetings", "Your meeting requests and booked meetings"),
    ("profile", "Your partnering profile: what you offer and seek"),
    ("reminders", "Your session reminders and reminder settings"),
    ("privacy", "What I keep about you: download it, hide from the directory, delete it"),
    ("help", "What I can do; or just ask a question"),
]


class ManifestError(Exception):
    """The manifest does not validate; the message says where."""


def manifest(*, app_id: str, public_url: str, version: str = "1.0.0") -> dict:
    host = urlsplit(public_url).hostname or "localhost"
    site = public_url if public_url.startswith("https://") else f"https://{host}"
    command_list = [{"title": name, "description": text} for name, text in COMMANDS]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "PartnerUp",
            "websiteUrl": site,
            "privacyUrl": site,
            "termsOfUseUrl": site,
        },
        "name": {"short": "PartnerUp", "full": "PartnerUp event assistant"},
        "description": {
            "short": "Agenda, venues, questions and 1:1 partnering meetings for the event.",
            "full": (
                "PartnerUp is the event's assistant: the agenda and venues, answers to questions about the event, "
                "reminders for sessions, and a partner directory with 1:1 meeting requests that work across Teams "
                "and Slack. Type help in a chat with the bot to start."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#0E7490",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": command_list},
                    {"scopes": ["team", "groupChat"], "commands": command_list},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def validate(document: dict) -> None:
    """Raises ManifestError naming the first problem (draft 7 rules, so the schema's ``const`` is checked too)."""
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise ManifestError(f"manifest.json is not valid at {where}: {first.message}")


def build_package(*, app_id: str, public_url: str, version: str = "1.0.0") -> bytes:
    """The zip Teams takes in "Upload a custom app": manifest.json and the two icons at its root."""
    document = manifest(app_id=app_id, public_url=public_url, version=version)
    validate(document)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(document, indent=2, ensure_ascii=False))
        archive.write(HERE / "color.png", "color.png")
        archive.write(HERE / "outline.png", "outline.png")
    return buffer.getvalue()
