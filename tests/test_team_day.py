"""The head's team day: each manager's figures are the ones on that manager's own pages."""

import re
from datetime import timedelta
from html import unescape

import pytest

from app.extensions import db
from app.models.mixins import local_now
from app.services.errors import DomainError
from app.services.queries import agenda, inbox, reports
from app.services.queries.team_day import team_day
from app.services.rules import followup, saving
from app.services.rules.followup import NextTask, Outcome
from tests.helpers import count_statements

FIGURES = ("overdue", "today", "done_today", "done_week", "without_next_task", "past_close")


def _later(days: int = 3) -> NextTask:
    return NextTask(subject="Перезвонить", due_at=local_now() + timedelta(days=days))


def _book(owner, tag: str, size: int, *, make_company, make_deal, make_task, session, stage):
    """Give the manager `size` of each kind of row, some archived, a few done today."""
    now = local_now()
    for n in range(size):
        company = make_company(owner, f"{tag} клиент {n}")
        make_task(owner, company=company, subject=f"{tag}-overdue-{n}",
                  due_at=now - timedelta(days=n + 1))
        # Due later today, unless today is nearly over (half an hour on: in minute 59 of
        # an hour, the end of the hour was already past when the test read the figures).
        if now.hour < 23:
            make_task(owner, company=company, subject=f"{tag}-today-{n}",
                      due_at=now + timedelta(minutes=30))
        done = make_task(owner, company=company, subject=f"{tag}-done-{n}")
        followup.finish_task(session, owner, done, Outcome(result="Поговорили"))
        make_deal(owner, company=company, title=f"{tag} сделка {n}",
                  expected_close_date=now.date() - timedelta(days=2))
    # Without a next task: a live client whose last task went to the archive by a bulk
    # write (as an import leaves them).
    lonely = make_company(owner, f"{tag} без задачи")
    task = make_task(owner, company=lonely, subject=f"{tag}-lonely")
    task.archived = True
    session.commit()
    # Archived rows count nowhere.
    gone = make_company(owner, f"{tag} архив")
    make_task(owner, company=gone, subject=f"{tag}-archived", due_at=now - timedelta(days=1))
    saving.archive_record(session, owner, gone)
    session.commit()
    # A closed deal past its date is not late.
    make_deal(owner, company=lonely, title=f"{tag} выиграна", stage=stage("won"),
              expected_close_date=now.date() - timedelta(days=5))


@pytest.fixture
def team(make_user, make_company, make_deal, make_task, session, stage):
    """The head and three managers with different books; one manager is foreign to others."""
    head = make_user("Head", "head")
    managers = [make_user("Manager", name) for name in ("anna", "boris", "vera")]
    for size, manager in zip((1, 2, 3), managers, strict=True):
        _book(manager, manager.username, size, make_company=make_company, make_deal=make_deal,
              make_task=make_task, session=session, stage=stage)
    return head, managers


def test_every_figure_equals_what_the_manager_sees(session, team):
    head, managers = team
    now = local_now().replace(microsecond=0)
    day = team_day(session, head, now)
    rows = {row.user_id: row for row in day.members}
    for manager in managers:
        row = rows[manager.id]
        counters = agenda.task_counters(session, manager, now)
        assert (row.overdue, row.today) == (counters["overdue"], counters["today"])
        assert row.without_next_task == agenda.queue_count(session, manager)
        activity = reports.task_activity(session, manager, now)
        assert row.done_week == activity.managers[0].done[-1]
        assert row.done_today == row.done_week  # all done today in these books
        assert row.inbox == inbox.new_count(session, manager)
    sizes = {manager.username: size for manager, size in zip(managers, (1, 2, 3), strict=True)}
    for manager in managers:
        row, size = rows[manager.id], sizes[manager.username]
        assert row.overdue == size and row.past_close == size and row.done_today == size
        # The lonely client and the open deals (their tasks are on the companies).
        assert row.without_next_task == 1 + size
    for figure in FIGURES:
        assert getattr(day.total, figure) == sum(getattr(row, figure) for row in day.members)


def test_a_manager_has_no_team_day(session, team):
    _head, managers = team
    with pytest.raises(DomainError):
        team_day(session, managers[0], local_now())


def test_the_statements_do_not_grow_with_the_team(app, session, make_user, make_company,
                                                  make_task):
    head = make_user("Head", "head")

    def statements() -> int:
        session.expire_all()
        with count_statements(db.engine) as seen:
            team_day(session, head, local_now())
        return len(seen)

    for n in range(3):
        owner = make_user("Manager", f"small{n}")
        make_task(owner, company=make_company(owner, f"Клиент {n}"))
    few = statements()
    for n in range(17):
        owner = make_user("Manager", f"big{n}")
        task = make_task(owner, company=make_company(owner, f"Клиент big {n}"))
        followup.finish_task(session, owner, task, Outcome(result="Ок", next_task=_later()))
    assert statements() == few


def _figure_cells(html: str, user_id) -> dict[str, str]:
    row = re.search(rf'<tr data-user="{user_id}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="text-right crm-(\w+)[^"]*">(.*?)</td>', row, re.S)
    return {key: cell for key, cell in cells}


def _link(cell: str) -> str:
    return unescape(re.search(r'href="([^"]+)"', cell).group(1))


def test_the_head_sees_the_team_day_and_each_figure_opens_its_rows(client, login, team):
    head, managers = team
    login(user=head)
    page = client.get("/").get_data(as_text=True)
    assert "Команда сегодня" in page
    assert 'id="my-day-link"' in page
    anna, vera = managers[0], managers[2]
    cells = _figure_cells(page, vera.id)
    assert "href" not in cells["inbox"]  # nothing waits in vera's inbox: a plain 0
    overdue = client.get(_link(cells["overdue"])).get_data(as_text=True)
    assert sorted(set(re.findall(r"vera-overdue-\d", overdue))) == [
        "vera-overdue-0", "vera-overdue-1", "vera-overdue-2"]
    assert "anna-overdue" not in overdue and "vera-archived" not in overdue
    assert "vera-today" not in overdue
    done = client.get(_link(cells["done_week"])).get_data(as_text=True)
    assert len(set(re.findall(r"vera-done-\d", done))) == 3
    assert "vera-overdue" not in done
    deals = client.get(_link(cells["past_close"])).get_data(as_text=True)
    assert len(set(re.findall(r"vera сделка \d", deals))) == 3
    assert "vera выиграна" not in deals and "anna сделка" not in deals
    queue = client.get(_link(cells["without_next_task"])).get_data(as_text=True)
    assert "vera без задачи" in queue and "anna без задачи" not in queue
    if local_now().hour < 23:
        today = client.get(_link(cells["today"])).get_data(as_text=True)
        assert len(set(re.findall(r"vera-today-\d", today))) == 3
        assert "vera-overdue" not in today
    totals = _figure_cells(page, "total")
    everyone = client.get(_link(totals["overdue"])).get_data(as_text=True)
    assert "anna-overdue-0" in everyone and "vera-overdue-2" in everyone
    own = client.get("/my-day/").get_data(as_text=True)
    assert 'id="my-overdue"' in own
    assert anna.username  # the fixture's managers exist


def test_a_manager_and_the_admin_at_home(client, login, team, make_user):
    _head, managers = team
    login(user=managers[0])
    page = client.get("/").get_data(as_text=True)
    assert 'id="my-overdue"' in page and 'id="team-day"' not in page
    assert "boris" not in page
    login("Admin")
    assert 'id="team-day"' in client.get("/").get_data(as_text=True)


def test_a_manager_asking_for_another_managers_queue_gets_own(client, login, team):
    _head, managers = team
    login(user=managers[0])
    page = client.get(f"/queue/?owner={managers[1].id}").get_data(as_text=True)
    assert "anna без задачи" in page and "boris без задачи" not in page


def test_the_team_day_in_english(client, login, team):
    head, _managers = team
    login(user=head)
    page = client.get("/?_l_=en").get_data(as_text=True)
    assert "Team day" in page and "Deals past close date" in page



def test_past_the_menu_bars_cap_a_figure_says_so_as_the_managers_counter_does(
        session, team, client, login, monkeypatch):
    from app.services.queries import team_day as team_day_module

    head, managers = team
    monkeypatch.setattr(team_day_module, "TASK_COUNT_CAP", 2)
    day = team_day(session, head, local_now())
    rows = {row.user_id: row for row in day.members}
    vera = rows[managers[2].id]  # three overdue tasks: counted up to the cap
    assert (vera.overdue, "overdue" in vera.capped) == (2, True)
    anna = rows[managers[0].id]  # one: counted, not capped
    assert (anna.overdue, anna.capped) == (1, frozenset())
    assert "overdue" in day.total.capped
    login(user=head)
    page = client.get("/").get_data(as_text=True)
    row = page.split(f'data-user="{managers[2].id}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r">2\+</a>", row), row
