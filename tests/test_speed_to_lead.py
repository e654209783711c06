"""Speed to lead: minutes from a lead's arrival to its first answer, and leads left waiting.

The set below is computed by hand. NOW is a Thursday; its week starts on Monday 11 March.
anna (form, e-mail) answered after 5, 15, 60, 61, 1440 and 1441 minutes; boris (calls)
answered one after 16 minutes, has one waiting for two hours and one declined unanswered.
"""

from datetime import datetime, timedelta

import pytest

from app.models import InboxItem
from app.services.queries import speed_to_lead as speed

NOW = datetime(2030, 3, 14, 12, 0)
THIS_MONDAY = datetime(2030, 3, 11, 9, 0)
LAST_MONDAY = THIS_MONDAY - timedelta(weeks=1)


def lead(session, owner, received, minutes=None, *, source="form", state=None, name="Лид"):
    """Store a lead received at `received`, answered `minutes` later (None: not yet)."""
    answered = None if minutes is None else received + timedelta(minutes=minutes)
    item = InboxItem(source=source, owner_id=owner.id, received_at=received, name=name,
                     phone="+7 916 555-12-34", answered_at=answered,
                     state=state or ("accepted" if answered else "new"))
    session.add(item)
    session.commit()
    return item


@pytest.fixture
def leads(session, make_user):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    lead(session, anna, THIS_MONDAY, 5)
    lead(session, anna, THIS_MONDAY + timedelta(hours=1), 15)
    lead(session, anna, THIS_MONDAY + timedelta(hours=2), 60)
    lead(session, anna, LAST_MONDAY, 1440)
    lead(session, anna, LAST_MONDAY + timedelta(hours=1), 1441)
    lead(session, anna, LAST_MONDAY + timedelta(hours=2), 61, source="email")
    lead(session, boris, LAST_MONDAY + timedelta(hours=3), 16, source="call")
    lead(session, boris, NOW - timedelta(hours=2), source="call", name="Ждёт")
    lead(session, boris, THIS_MONDAY, source="call", state="declined")
    # Before the eight weeks of the report: not counted.
    lead(session, anna, THIS_MONDAY - timedelta(weeks=8), 1)
    return anna, boris


def figures(row: speed.Speed) -> tuple:
    return (row.leads, row.answered, row.within, row.median_minutes, row.waiting,
            row.oldest_waiting_minutes, row.declined)


def shares(row: speed.Speed) -> list[str | None]:
    return [None if share is None else str(share) for share in row.shares]


def test_minutes_and_shares_in_total_per_manager_and_per_source(session, make_user, leads):
    anna, boris = leads
    report = speed.speed_report(session, make_user("Head"), NOW, weeks=8)
    assert figures(report.total) == (8, 7, [2, 4, 6], 60.0, 1, 120.0, 1)
    assert shares(report.total) == ["25.0", "50.0", "75.0"]
    by_manager = {row.key: row for row in report.by_manager}
    assert [row.key for row in report.by_manager] == [str(anna.id), str(boris.id)]
    assert figures(by_manager[str(anna.id)]) == (6, 6, [2, 3, 5], 60.5, 0, None, 0)
    assert shares(by_manager[str(anna.id)]) == ["33.3", "50.0", "83.3"]
    assert figures(by_manager[str(boris.id)]) == (2, 1, [0, 1, 1], 16.0, 1, 120.0, 1)
    assert shares(by_manager[str(boris.id)]) == ["0.0", "50.0", "50.0"]
    by_source = {row.key: row for row in report.by_source}
    assert [row.key for row in report.by_source] == ["form", "call", "email"]
    assert figures(by_source["form"]) == (5, 5, [2, 3, 4], 60.0, 0, None, 0)
    assert figures(by_source["call"]) == (2, 1, [0, 1, 1], 16.0, 1, 120.0, 1)
    assert figures(by_source["email"]) == (1, 1, [0, 0, 1], 61.0, 0, None, 0)


def test_the_boundaries_count_as_within(session, make_user):
    owner = make_user("Manager")
    for minutes in (15, 60, 24 * 60):
        lead(session, owner, THIS_MONDAY, minutes)
    report = speed.speed_report(session, owner, NOW)
    assert report.total.within == [1, 2, 3]
    assert shares(report.total) == ["33.3", "66.7", "100.0"]


def test_weeks_start_on_monday_and_empty_weeks_stay(session, make_user, leads):
    report = speed.speed_report(session, make_user("Head"), NOW, weeks=8)
    assert report.weeks[-1] == THIS_MONDAY.date()
    assert report.weeks[0] == (THIS_MONDAY - timedelta(weeks=7)).date()
    assert [row.leads for row in report.by_week] == [0, 0, 0, 0, 0, 0, 4, 4]
    last, this = report.by_week[-2], report.by_week[-1]
    assert figures(last) == (4, 4, [0, 1, 3], 750.5, 0, None, 0)
    assert figures(this) == (4, 3, [2, 3, 3], 15.0, 1, 120.0, 1)


def test_a_manager_counts_own_leads_only(session, leads):
    anna, boris = leads
    report = speed.speed_report(session, anna, NOW, manager_id=boris.id)
    assert [row.key for row in report.by_manager] == [str(anna.id)]
    assert figures(report.total) == (6, 6, [2, 3, 5], 60.5, 0, None, 0)


def test_the_head_chooses_a_manager_and_a_source(session, make_user, leads):
    anna, boris = leads
    head = make_user("Head")
    assert figures(speed.speed_report(session, head, NOW, manager_id=boris.id).total) == (
        2, 1, [0, 1, 1], 16.0, 1, 120.0, 1)
    only_calls = speed.speed_report(session, head, NOW, source="call")
    assert [row.key for row in only_calls.by_manager] == [str(boris.id)]
    assert figures(only_calls.total) == (2, 1, [0, 1, 1], 16.0, 1, 120.0, 1)
    unknown = speed.speed_report(session, head, NOW, source="pigeon")
    assert unknown.total.leads == 8


def test_leads_waiting_in_several_weeks_and_sources_add_up_per_row(session, make_user):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    lead(session, anna, LAST_MONDAY, source="form")
    lead(session, anna, THIS_MONDAY, source="call")
    lead(session, anna, THIS_MONDAY + timedelta(hours=1), source="call", state="declined")
    lead(session, boris, THIS_MONDAY + timedelta(hours=2), source="call")
    report = speed.speed_report(session, make_user("Head"), NOW, weeks=2)
    waited_last, waited_this = (NOW - LAST_MONDAY) / timedelta(minutes=1), 3 * 24 * 60 + 180
    by_manager = {row.key: row for row in report.by_manager}
    # anna's oldest is the oldest of her two weeks, boris' his own.
    assert figures(by_manager[str(anna.id)]) == (2, 0, [0, 0, 0], None, 2, waited_last, 1)
    assert figures(by_manager[str(boris.id)]) == (1, 0, [0, 0, 0], None, 1, 3 * 24 * 60 + 60, 0)
    assert [figures(row) for row in report.by_week] == [
        (1, 0, [0, 0, 0], None, 1, waited_last, 0),
        (2, 0, [0, 0, 0], None, 2, waited_this, 1)]
    by_source = {row.key: row for row in report.by_source}
    assert figures(by_source["form"]) == (1, 0, [0, 0, 0], None, 1, waited_last, 0)
    assert figures(by_source["call"]) == (2, 0, [0, 0, 0], None, 2, waited_this, 1)
    assert figures(report.total) == (3, 0, [0, 0, 0], None, 3, waited_last, 1)


def test_nothing_to_count(session, make_user):
    report = speed.speed_report(session, make_user("Head"), NOW)
    assert figures(report.total) == (0, 0, [0, 0, 0], None, 0, None, 0)
    assert report.by_manager == [] and report.by_source == []
    assert shares(report.total) == [None, None, None]


def test_waiting_leads_are_the_heads_only(session, make_user, leads):
    anna, boris = leads
    head = make_user("Head")
    waiting = speed.waiting_leads(session, head, NOW, 60)
    assert waiting.count == 1 and [item.name for item in waiting.items] == ["Ждёт"]
    assert speed.waiting_leads(session, head, NOW, 121).count == 0
    assert speed.waiting_leads(session, boris, NOW, 60) is None
    assert speed.waiting_leads(session, make_user("Admin"), NOW, 60).count == 1


def test_waiting_leads_run_as_many_statements_for_50_as_for_5(session, make_user, statements):
    owner, head = make_user("Manager"), make_user("Head")
    for n in range(5):
        lead(session, owner, NOW - timedelta(hours=n + 2))
    session.expire_all()
    with statements() as few:
        five = speed.waiting_leads(session, head, NOW, 60)
        _ = [item.owner.username for item in five.items]
    for n in range(5, 50):
        lead(session, make_user("Manager"), NOW - timedelta(hours=n + 2))
    session.expire_all()
    with statements() as many:
        fifty = speed.waiting_leads(session, head, NOW, 60)
        _ = [item.owner.username for item in fifty.items]
    assert (five.count, fifty.count, len(fifty.items)) == (5, 50, speed.WAITING_LISTED)
    assert len(many) == len(few)


def test_the_report_reads_the_leads_once_whatever_their_number(session, make_user,
                                                               statements):
    head = make_user("Head")
    managers = [make_user("Manager") for _ in range(3)]
    for n in range(5):
        lead(session, managers[n % 3], THIS_MONDAY, n)
    with statements() as few:
        speed.speed_report(session, head, NOW)
    for n in range(5, 50):
        lead(session, managers[n % 3], LAST_MONDAY, n, source=("form", "call", "email")[n % 3])
    with statements() as many:
        report = speed.speed_report(session, head, NOW)
    assert report.total.answered == 50
    assert len(many) == len(few)
    # One statement brings the answered leads' times for the medians and counts the
    # unanswered ones; one more names the managers.
    assert len([sql for sql in many if "inbox_item" in sql]) == 1
