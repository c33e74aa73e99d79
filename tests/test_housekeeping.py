"""The worker's daily tidy-up: carried-out press records after a week, import previews after their half hour;
nothing still to be done is touched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.assistant import Assistant
from bot.worker import Worker
from storage.models import ImportPreview, Intake


def test_the_daily_run_deletes_only_what_is_past_keeping(event_db, clock) -> None:
    assistant = Assistant(db=event_db, clock=clock, notifiers={})
    now = clock.now()
    week = timedelta(days=7)
    with assistant.db.transaction(write=True) as session:
        for status, age, name in [("done", week + timedelta(hours=1), "old done"), ("done", week - timedelta(hours=1), "recent done"),
                                  ("pending", week * 3, "old pending")]:  # fmt: skip
            session.add(Intake(kind="accept_press", platform="slack", external_id=name, ref_id=1, payload={},
                               status=status, created_at=now - age, detail=""))  # fmt: skip
        for minutes, source in [(31, "stale"), (29, "fresh")]:
            session.add(ImportPreview(organiser="U900", source=source, data=b"<schedule/>",
                                      created_at=now - timedelta(minutes=minutes)))  # fmt: skip
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                    rate=None)  # fmt: skip
    worker.purge_daily()
    with assistant.db.transaction() as session:
        assert sorted(session.scalars(select(Intake.external_id))) == ["old pending", "recent done"]
        assert session.scalars(select(ImportPreview.source)).all() == ["fresh"]
    clock.advance(hours=2)  # the same UTC day: the run is not repeated
    worker.purge_daily()
    with assistant.db.transaction() as session:
        assert sorted(session.scalars(select(Intake.external_id))) == ["old pending", "recent done"]
    clock.advance(days=1)
    worker.purge_daily()
    with assistant.db.transaction() as session:
        assert session.scalars(select(Intake.external_id)).all() == ["old pending"]
        assert session.scalars(select(ImportPreview.source)).all() == []
