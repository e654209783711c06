"""Hot pages run as many SQL statements for many rows as for few: no query per row.

Each page is requested with a small book of records and again after the book grew to
four times that size; the number of statements must not change. The records are tied
to each other (clients, people, deals, tasks, owners, history) the way real ones are,
so that a relation loaded one row at a time shows up as a difference.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.models.mixins import local_now
from app.services.rules.history import set_actor

SMALL, BIG = 3, 12
LIST_PAGES = [
    "/companyview/list/", "/contactview/list/", "/dealview/list/", "/taskview/list/",
    "/companyview/list/?psize_CompanyView=100", "/contactview/list/?psize_ContactView=100",
    "/dealview/list/?psize_DealView=100", "/taskview/list/?psize_TaskView=100",
    "/companyview/list/?_oc_CompanyView=next_task_at&_od_CompanyView=asc",
]
OTHER_PAGES = [
    "/", "/queue/", "/pipeline/",
    "/reports/funnel/", "/reports/won-lost/", "/reports/tasks/", "/reports/no-next-task/",
    "/reports/new-clients/", "/reports/speed-to-lead/", "/inbox/",
    "/my-day/", "/off-cadence/", "/plan/", "/forecast/", "/first-call/",
    "/reports/speed-to-lead/?weeks=26", "/search/?q=Компания", "/search/?q=495",
    "/api/v1/search?q=Компания",
]
# The head's own pages.
HEAD_PAGES = ["/plan/edit/", "/duplicates/"]


@pytest.fixture
def book(session, make_user, make_company, make_contact, make_deal, make_task, stage):
    """Add `count` clients, each with people, deals, tasks and a history, to a book.

    A client belongs to `owner`, or to a manager of its own when none is given (what the
    head sees); today's and overdue tasks belong to `doer`, whose day is shown.
    """
    now = local_now().replace(second=0, microsecond=0)
    codes = ["cold", "first_contact", "needs", "proposal", "negotiation"]
    made = {"n": 0}

    def add(count: int, doer, owner=None) -> None:
        for _ in range(count):
            made["n"] += 1
            n = made["n"]
            who = owner or make_user("Manager", f"owner{n}")
            set_actor(session, who)
            company = make_company(who, f"Компания {n:03}", phone="+7 495 123-45-67",
                                   source=f"Источник {n % 4}")
            person = make_contact(who, f"Петров {n:03}", company=company,
                                  birthday=now.date().replace(year=1980),
                                  birthday_key=now.month * 100 + now.day)
            private = make_contact(who, f"Частный {n:03}", status="potential")
            deal = make_deal(who, company=company, contact=person, title=f"Сделка {n:03}",
                             stage=stage(codes[n % len(codes)]),
                             amount=Decimal("1000.00") * n)
            make_deal(who, company=company, title=f"Выигранная {n:03}", stage=stage("won"),
                      closed_at=now - timedelta(days=n))
            make_deal(who, contact=private, title=f"Проигранная {n:03}", stage=stage("lost"),
                      closed_at=now - timedelta(days=n), lost_reason=f"Причина {n % 3}")
            make_task(who, company=company, contact=person, deal=deal,
                      due_at=now + timedelta(days=n))
            make_task(who, contact=private, due_at=now - timedelta(days=1))
            make_task(doer, company=company, subject=f"Сегодня {n:03}",
                      due_at=now.replace(hour=23, minute=58))
            make_task(doer, company=company, deal=deal, subject=f"Просрочено {n:03}",
                      due_at=now - timedelta(hours=n))
            make_task(who, company=company, contact=person, state="done", result="Поговорили",
                      done_at=now - timedelta(days=n % 10), due_at=now - timedelta(days=n))
            # Forgotten ones, for the queue: clients and a deal without a planned task.
            forgotten = make_company(who, f"Забытая {n:03}")
            make_deal(who, company=forgotten, title=f"Забытая сделка {n:03}")
            make_contact(who, f"Забытый {n:03}", status="active")
            # History that names other records: a stage move and a change of hands.
            deal.stage = stage("proposal" if deal.stage.code != "proposal" else "cold")
            company.phone = "+7 495 765-43-21"
            session.commit()
        set_actor(session, None)

    return add


def _assert_flat(measure, add, pages, doer, owner=None) -> None:
    add(SMALL, doer, owner)
    small = {url: measure(url) for url in pages}
    add(BIG - SMALL, doer, owner)
    big = {url: measure(url) for url in pages}
    # Fewer is fine: a search that fills its page from one kind skips the next kind's query.
    grown = {url: (small[url], big[url]) for url in pages if big[url] > small[url]}
    assert not grown, f"statements per page grew with the rows ({SMALL} -> {BIG}): {grown}"


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_lists_run_as_many_queries_for_many_rows(login, measure, book, role):
    user = login(role)
    _assert_flat(measure, book, LIST_PAGES, user, owner=user if role == "Manager" else None)


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_my_day_queue_board_and_reports_run_as_many_queries(login, measure, book, role):
    user = login(role)
    _assert_flat(measure, book, OTHER_PAGES, user, owner=user if role == "Manager" else None)


def test_the_heads_plan_grid_and_duplicates_report_run_as_many_queries(login, measure, book):
    head = login("Head")
    _assert_flat(measure, book, HEAD_PAGES, head)


@pytest.fixture
def client_story(session, make_user, make_company, make_contact, make_deal, make_task, stage):
    """A company, one of its people and a deal, each gaining `count` related records."""
    now = local_now().replace(second=0, microsecond=0)
    records = {}
    made = {"n": 0}

    def add(count: int, owner, head) -> dict:
        if not records:
            records["company"] = make_company(owner, "Вектор")
            records["person"] = make_contact(owner, "Петров", company=records["company"])
            records["deal"] = make_deal(owner, company=records["company"],
                                        contact=records["person"], title="Станки")
        company, person, deal = records["company"], records["person"], records["deal"]
        for _ in range(count):
            made["n"] += 1
            n = made["n"]
            actor = make_user("Manager", f"actor{n}")
            set_actor(session, actor)
            colleague = make_contact(owner, f"Коллега {n:03}", company=company)
            side = make_deal(owner, company=company, contact=colleague, title=f"Сделка {n:03}")
            make_deal(owner, company=company, contact=person, title=f"Ещё {n:03}",
                      stage=stage("won"), closed_at=now)
            make_task(owner, company=company, contact=person, deal=deal,
                      subject=f"Задача {n:03}", due_at=now + timedelta(days=n))
            make_task(owner, company=company, contact=colleague, deal=side,
                      subject=f"Готово {n:03}", state="done", result="Поговорили",
                      done_at=now, due_at=now - timedelta(days=n))
            # Changes by different people naming other records: stage, owner, contact.
            side.stage = stage("proposal")
            colleague.owner_id = head.id
            session.commit()
            colleague.owner_id = owner.id
            deal.amount = Decimal("100.00") * n
            company.notes = f"Заметка {n:03}"  # the company itself stays in its story
            session.commit()
        set_actor(session, None)
        return records

    return add


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_show_and_edit_pages_run_as_many_queries_for_many_related_records(login, measure, make_user,
                                                                 client_story, role):
    user = login(role)
    owner = user if role == "Manager" else make_user("Manager", "owner")
    head = user if role == "Head" else make_user("Head", "chief")
    records = client_story(SMALL, owner, head)
    pages = [f"/{view}/{screen}/{records[name].id}"
             for view, name in (("companyview", "company"), ("contactview", "person"),
                                ("dealview", "deal"))
             for screen in ("show", "edit")]
    small = {url: measure(url) for url in pages}
    client_story(BIG - SMALL, owner, head)
    big = {url: measure(url) for url in pages}
    # Never more; a card may need fewer when its feed names only records it has read.
    grown = {url: (small[url], big[url]) for url in pages if big[url] > small[url]}
    assert not grown, f"statements per page grew with the related records: {grown}"


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_the_complete_task_form_runs_as_many_queries(login, measure, make_user, client_story,
                                                     session, role):
    from app.models import Task

    user = login(role)
    owner = user if role == "Manager" else make_user("Manager", "owner")
    head = user if role == "Head" else make_user("Head", "chief")
    records = client_story(SMALL, owner, head)
    task = session.query(Task).filter_by(subject="Задача 001").one()
    url = f"/taskview/complete/{task.id}"
    small = measure(url)
    client_story(BIG - SMALL, owner, head)
    assert records["company"].id is not None
    assert measure(url) == small


def test_the_counter_sees_a_query_per_row_when_there_is_one(app, session, statements, book,
                                                            make_user):
    """The yardstick itself: a loop touching a lazy relation per row is counted."""
    from app.models import Contact

    book(SMALL, make_user("Head"))
    session.expire_all()
    with statements() as seen:
        people = session.query(Contact).filter(Contact.company_id.is_not(None)).all()
        for person in people:
            _ = person.company
    assert len(people) == SMALL
    assert len(seen) == 1 + SMALL


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_an_inbox_item_runs_as_many_queries_for_many_matching_clients(login, measure, book,
                                                                      session, client, role):
    from app.models import InboxItem

    user = login(role)
    # Every company of the book was made with this number: each one matches the lead.
    item = InboxItem(source="call", owner_id=user.id, received_at=local_now(), name="Звонок",
                     phone="+7 495 123-45-67", state="new")
    session.add(item)
    session.commit()
    _assert_flat(measure, book, [f"/inbox/{item.id}"], user,
                 owner=user if role == "Manager" else None)
    page = client.get(f"/inbox/{item.id}").get_data(as_text=True)
    assert "Компания 001" in page and "Компания 012" in page
