"""Leads of the inbox for the benchmark: received over past weeks, most answered, some waiting."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from app.models import InboxItem, User
from app.models.mixins import local_now

LEADS = 50_000
WEEKS = 26
BATCH = 5_000
SOURCES = ("form", "form", "call", "email")
# Minutes to the first answer: most within the hour, a tail over days.
DELAYS = (2, 5, 9, 14, 15, 22, 40, 60, 95, 240, 1440, 3000)


def add_leads(session, count: int = LEADS, weeks: int = WEEKS, seed: int = 7) -> int:
    """Add `count` leads spread over the last `weeks` among the demo's managers; return count.

    About 5 % still wait for an answer (a few past the head's limit), 5 % were declined
    without one, the rest answered after a delay drawn from DELAYS. Written in batches by
    one INSERT each: the benchmark times the reads, not the intake.
    """
    rng = random.Random(seed)
    owners = list(session.scalars(select(User.id).where(User.username.like("manager%"))))
    now = local_now().replace(microsecond=0)
    span = weeks * 7 * 24 * 60
    rows = []
    for number in range(count):
        received = now - timedelta(minutes=rng.randrange(span))
        roll = rng.random()
        row = {"source": rng.choice(SOURCES), "owner_id": rng.choice(owners),
               "received_at": received, "name": f"Заявка {number}",
               "phone": f"+7 916 {number % 1000:03d}-{number % 100:02d}-{number % 97:02d}",
               "state": "accepted", "answered_at": None, "decided_at": None}
        if roll < 0.05:
            row["state"] = "new"
        elif roll < 0.10:
            row.update(state="declined", decided_at=received + timedelta(minutes=30))
        else:
            answered = received + timedelta(minutes=rng.choice(DELAYS))
            if answered > now:  # too recent to be answered yet: it waits
                row["state"] = "new"
            else:
                row.update(answered_at=answered, decided_at=answered)
        rows.append(row)
        if len(rows) == BATCH:
            session.execute(insert(InboxItem), rows)
            rows = []
    if rows:
        session.execute(insert(InboxItem), rows)
    session.commit()
    return count
