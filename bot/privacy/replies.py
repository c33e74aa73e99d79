"""What the privacy capability says: what is kept and who sees it, the confirm step, the outcomes."""

from __future__ import annotations

from bot.privacy.data import Erased
from bot.replies import Actions, Button, Heading, Note, Paragraph, Reply

DOWNLOAD = "privacy_download"
HIDE = "privacy_hide"
SHOW = "privacy_show"
DELETE = "privacy_delete"
DELETE_CONFIRM = "privacy_delete_confirm"
DELETE_CANCEL = "privacy_delete_cancel"
PERSONAL_DATA_NOTICE = (
    "This export contains personal data of event participants (GDPR): keep it to organisers who need it, "
    "do not forward it, and delete it when the event's follow-up is done."
)

WHAT_IS_KEPT = [
    "Your profile (organisation, role, what you offer and seek, interests): you; other attendees in /partners "
    "unless you hide yourself; organisers.",
    "Meeting requests with their topic and message: only you, the other person, and organisers' exports.",
    "Your meetings (time, table): you, the other person, organisers running the floor.",
    "Bookmarks, blocks you marked unavailable, reminder settings: only you (and the bot, to remind you).",
    "Which messages the bot sent you and when: only you and organisers' delivery counts.",
]


def overview(*, hidden: bool, retention_days: int) -> Reply:
    reply = Reply(text="Your data in PartnerUp").add(Heading("Your data in PartnerUp"))
    reply.add(Paragraph("What I keep about you, and who can see it:\n" + "\n".join(f"• {line}" for line in WHAT_IS_KEPT)))
    reply.add(Note(f"Everything personal is deleted {retention_days} days after the event's last day."))
    if hidden:
        reply.add(Note("You are hidden from the partner directory: nobody finds or is suggested you."))
    reply.add(
        Actions(
            (
                Button("Download my data", DOWNLOAD, "json"),
                Button("Show me in the directory", SHOW, "1") if hidden else Button("Hide me from the directory", HIDE, "1"),
                Button("Delete my data…", DELETE, "1", style="danger"),
            )
        )
    )
    return reply


def home_section(*, hidden: bool) -> list:
    """The Privacy part of the start page."""
    state = "You are hidden from the partner directory." if hidden else "Others can find you in /partners."
    return [
        Heading("Privacy"),
        Paragraph(f"See what I keep about you, download it or delete it. {state}"),
        Actions(
            (
                Button("Download my data", DOWNLOAD, "json"),
                Button("Show me in the directory", SHOW, "1") if hidden else Button("Hide me from the directory", HIDE, "1"),
                Button("Delete my data…", DELETE, "1", style="danger"),
            )
        ),
    ]


def confirm_delete() -> Reply:
    text = "Delete all your data?"
    return Reply(text=text).add(
        Heading(text),
        Paragraph(
            "If you go on:\n"
            "• your profile, bookmarks, unavailable blocks and reminder settings are erased;\n"
            "• requests you sent are withdrawn and requests you received are declined; the other person gets a "
            "short neutral notice;\n"
            "• meetings still to come are cancelled; the other person is told and gets an updated calendar entry;\n"
            '• your name and Slack ID are removed everywhere (organisers\' reports show "Deleted participant");\n'
            "• messages still queued for you are dropped.\n"
            "This cannot be undone. If you use PartnerUp again later, you start afresh."
        ),
        Actions(
            (
                Button("Yes, delete everything", DELETE_CONFIRM, "1", style="danger"),
                Button("Keep my data", DELETE_CANCEL, "1"),
            )
        ),  # fmt: skip
    )


def deleted(result: Erased) -> Reply:
    r = result.released
    told = r.withdrawn + r.declined + r.cancelled
    text = "Done: your data is deleted."
    reply = Reply(text=text).add(Paragraph(text))
    if told:
        reply.add(
            Note(
                f"Withdrawn {r.withdrawn}, declined {r.declined} request(s), cancelled {r.cancelled} meeting(s); "
                "the other people have been told."
            )  # fmt: skip
        )
    return reply.add(Note("If you write to me again, you start afresh."))


def download_queued() -> Reply:
    return Reply(text="Your data is on its way").add(
        Paragraph("I'm sending your data to our direct messages as a JSON file; it comes with a short explanation.")
    )


def download_message() -> Reply:
    text = "Your data from PartnerUp"
    return Reply(text=text).add(
        Heading(text),
        Paragraph(
            "The attached JSON file holds everything I keep about you. It starts with an explanation of each part. "
            "Of other people it shows only their name and organisation."
        ),
    )
