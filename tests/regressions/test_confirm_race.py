"""Two presses of "Post in this channel"/"Send" for one draft schedule the announcement twice."""

import threading

from sqlalchemy import select

from bot.announcements.broadcasts import Announcements, Draft
from storage.models import Announcement
from tests.conftest import oslo
from tests.partnering_helpers import people


def test_double_confirm_sends_twice(assistant, clock, monkeypatch):
    clock.set(oslo(2, 12, 0))
    assistant.organisers = frozenset({"olga"})
    olga, ann = people(assistant, "Olga", "Ann")
    _, draft_id = assistant.draft_announcement(
        external_id="olga", actor=olga, draft=Draft(text="Bus leaves 08:15", audience="everyone")
    )
    barrier = threading.Barrier(2, timeout=5)
    original = Announcements.check

    def check(self, draft, **kw):  # both requests have read the draft; let them meet here
        if draft.text == "Bus leaves 08:15":
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return original(self, draft, **kw)

    monkeypatch.setattr(Announcements, "check", check)
    outcomes = []

    def press():
        try:
            outcomes.append(assistant.confirm_announcement(external_id="olga", actor=olga, draft_id=draft_id).text)
        except Exception as e:  # noqa: BLE001
            outcomes.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=press) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(outcomes)
    with assistant.db.transaction() as s:
        scheduled = s.execute(select(Announcement.id, Announcement.status).where(Announcement.status != "draft")).all()
    print(scheduled)
    assert len(scheduled) == 1, f"one draft became {len(scheduled)} announcements to everyone: {scheduled}"
