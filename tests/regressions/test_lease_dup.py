"""No kill needed: a send that outlasts the 2-minute lease (slack_sdk's RateLimitErrorRetryHandler
waits Retry-After up to 5 times; 5 x 30 s = 150 s) lets another sender (the worker, or a second replica)
reclaim the row and send it while the first call is still going: the person gets it twice."""

from datetime import timedelta

from bot.assistant import Assistant
from bot.delivery.outbox import Deliverer
from bot.messages import RENDERERS
from tests.conftest import oslo
from tests.partnering_helpers import RecordingNotifier, people


def test_slow_send_is_sent_twice(event_db, clock):
    clock.set(oslo(3, 8, 0))
    inbox = RecordingNotifier()
    web = Assistant(db=event_db, clock=clock)  # a web process; nothing sent yet
    ann, bo = people(web, "Ann", "Bo")
    web.partnering.create_request(requester_id=ann, invitee_id=bo, topic="TCR")
    worker = Deliverer(db=event_db, clock=clock, notifiers={"console": inbox}, renderers=RENDERERS)

    class SlowSlack:  # the web kick's send hits a 429 storm
        def send(self, recipient, reply, attachments=()):
            clock.set(clock.now() + timedelta(seconds=150))
            worker.run_once()  # meanwhile the worker ticks and reclaims "abandoned" rows
            return inbox.send(recipient, reply, attachments=attachments)

    web_sender = Deliverer(db=event_db, clock=clock, notifiers={"console": SlowSlack()}, renderers=RENDERERS)
    web_sender.run_once(limit=1)
    got = inbox.texts("Bo")
    print(got)
    assert len(got) == 1, f"Bo got the request {len(got)} times"
