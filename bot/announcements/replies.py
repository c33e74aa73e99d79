"""What announcements, their progress and /announce list say."""

from __future__ import annotations

from bot import timefmt
from bot.announcements.broadcasts import AnnouncementView, Preview, unreachable_text
from bot.replies import Actions, Button, Heading, Markdown, Note, Paragraph, Reply

CANCEL = "announce_cancel"
RETRY = "announce_retry"
CONFIRM = "announce_confirm"


def people(count: int) -> str:
    return "1 person" if count == 1 else f"{count:,} people"


def when(view_send_at, timezone: str) -> str:
    local = timefmt.local(view_send_at, timezone)
    return f"{timefmt.short_day(local.date())} {local:%H:%M %Z}"


def announcement(text: str, *, event_name: str, allow_broadcast: bool) -> Reply:
    first_line = text.strip().splitlines()[0][:150] if text.strip() else "Announcement"
    return Reply(text=f"From the organisers: {first_line}").add(
        Note(f"📣 From the organisers of {event_name}"), Markdown(text, allow_broadcast=allow_broadcast)
    )


def preview(draft_text: str, summary: Preview, *, allow_broadcast: bool) -> Reply:
    reach = "a channel post" if summary.audience.startswith("the channel") else people(summary.count)
    when_text = "now" if summary.send_at is None else f"at {when(summary.send_at, summary.timezone)}"
    reply = Reply(text=f"This goes to {summary.audience} ({reach}), {when_text}.")
    reply.add(Paragraph(f"This goes to {summary.audience}: {reach}, {when_text}."))
    if summary.unreachable:
        lost = sum(n for _, _, n in summary.unreachable)
        reply.text += f" {people(lost)} cannot be reached."
        reply.add(Paragraph(f"{people(lost)} in this audience cannot be reached: {unreachable_text(summary.unreachable)}."))
    reply.add(Note("Preview:"))
    reply.add(Markdown(draft_text, allow_broadcast=allow_broadcast))
    if allow_broadcast:
        reply.add(Note("@channel, @here and @everyone in the text will notify people."))
    return reply


def progress(view: AnnouncementView, done: int) -> Reply:
    if done < view.total:
        text = f"Announcement #{view.id} to {view.audience}: sent {done:,} of {view.total:,}…"
        return Reply(text=text).add(Paragraph(text))
    return final_report(view)


def final_report(view: AnnouncementView) -> Reply:
    text = f"Announcement #{view.id} to {view.audience} is done: delivered {view.sent:,}, failed {view.failed:,}, skipped {view.skipped:,}."
    reply = Reply(text=text).add(Heading(f"Announcement #{view.id}: done"), Paragraph(text))
    if view.failures:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(view.failures.items(), key=lambda i: -i[1]))
        reply.add(Note(f"Failed: {reasons}"), Actions((Button("Retry failed", RETRY, str(view.id)),)))
    return reply


def listing(views: list[AnnouncementView]) -> Reply:
    reply = Reply(text="Announcements").add(Heading("Announcements"))
    if not views:
        return reply.add(Paragraph("None yet. Write one with /announce."))
    for view in views:
        head = f"#{view.id} · {view.status} · {when(view.send_at, view.timezone)} · to {view.audience}"
        if view.status in ("sending", "done"):
            head += f" · delivered {view.sent:,}, failed {view.failed:,}, skipped {view.skipped:,}"
        snippet = view.text.strip().splitlines()[0][:120] if view.text.strip() else ""
        reply.add(Paragraph(f"{head}\n{snippet}"))
        if view.status == "scheduled":
            reply.add(Actions((Button("Cancel", CANCEL, str(view.id), "danger"),)))
        elif view.failed:
            reply.add(Actions((Button("Retry failed", RETRY, str(view.id)),)))
    return reply


def summary_reply(s) -> Reply:
    """The organisers' numbers at a glance (App Home and /report)."""
    usage = f"{s.meetings / s.table_slots:.0%}" if s.table_slots else "no tables"
    lines = [
        f"Participants: {s.participants:,} ({s.profiles:,} with a partnering profile)",
        f"Meeting requests: {s.requests:,} ({s.pending:,} waiting for an answer)",
        f"Meetings booked: {s.meetings:,} (table usage {usage} of {s.table_slots:,} table-slots)",
        f"Reminders sent: {s.reminders_sent:,} ({s.reminders_failed:,} failed)",
        f"Announcements sent: {s.announcements:,} ({s.announcement_messages:,} messages delivered)",
    ]
    reply = Reply(text="Organiser summary").add(Heading("Organiser summary"), Paragraph("\n".join(lines)))
    return reply.add(Note("CSV exports: /report meetings, /report interest, /report announcements"))
