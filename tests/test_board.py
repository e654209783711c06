"""The pipeline board: cards per stage with their next task, and moving deals by the rules."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Deal, HistoryEntry, Task
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.queries import board
from app.services.rules import pipeline
from app.services.rules.followup import NextTask, NextTaskRequired
from tests.helpers import count_statements

DUE = "2030-01-15 10:00:00"


@pytest.fixture
def book(make_user, make_company, make_contact, make_deal, make_task, stage):
    """Anna's and Boris's deals across the stages, with and without planned tasks."""
    anna, boris, head = (
        make_user("Manager", "anna"),
        make_user("Manager", "boris"),
        make_user("Head", "head"),
    )
    alpha = make_company(anna, "Альфа")
    private = make_contact(anna, "Сидорова")
    now = local_now()
    late = make_deal(anna, company=alpha, title="Просроченная", amount=Decimal("1500.00"))
    make_task(anna, deal=late, company=alpha, due_at=now - timedelta(days=2))
    make_task(anna, deal=late, company=alpha, due_at=now + timedelta(days=5))
    bare = make_deal(anna, contact=private, title="Без задачи", stage=stage("proposal"))
    planned = make_deal(anna, company=alpha, title="По плану", stage=stage("proposal"))
    make_task(anna, deal=planned, company=alpha, due_at=datetime(2030, 1, 1, 10))
    make_task(anna, deal=planned, company=alpha, due_at=datetime(2030, 1, 2, 10), state="cancelled")
    won = make_deal(
        anna, company=alpha, title="Подписанная", stage=stage("won"), closed_at=datetime(2026, 1, 1)
    )
    make_deal(anna, company=alpha, title="В архиве", archived=True)
    beta = make_company(boris, "Бета")
    foreign = make_deal(boris, company=beta, title="Чужая", amount=Decimal("777.00"))
    make_task(boris, deal=foreign, company=beta)
    return {
        "anna": anna,
        "boris": boris,
        "head": head,
        "late": late,
        "bare": bare,
        "planned": planned,
        "won": won,
        "foreign": foreign,
        "alpha": alpha,
    }


def _columns(columns):
    return {column.stage.code: [card.deal.title for card in column.cards] for column in columns}


# --- the board -------------------------------------------------------------------------


def test_board_of_a_manager(session, book):
    columns = board.board(session, book["anna"], local_now())
    assert [column.stage.code for column in columns] == [
        "cold",
        "first_contact",
        "needs",
        "proposal",
        "negotiation",
    ]
    assert _columns(columns) == {
        "cold": ["Просроченная"],
        "first_contact": [],
        "needs": [],
        "proposal": ["По плану", "Без задачи"],
        "negotiation": [],
    }
    cards = {card.deal.title: card for column in columns for card in column.cards}
    assert cards["Просроченная"].overdue and cards["Просроченная"].next_due < local_now()
    assert cards["Без задачи"].next_due is None and not cards["Без задачи"].overdue
    assert cards["По плану"].next_due == datetime(2030, 1, 1, 10)
    assert not cards["По плану"].overdue
    assert columns[0].total == 1 and columns[0].amounts == {"RUB": Decimal("1500.00")}


def test_board_of_the_head(session, book):
    columns = _columns(board.board(session, book["head"], local_now()))
    assert columns["cold"] == ["Чужая", "Просроченная"]
    only_boris = _columns(board.board(session, book["head"], local_now(), book["boris"].id))
    assert only_boris["cold"] == ["Чужая"] and only_boris["proposal"] == []


def test_board_caps_the_cards_of_a_column(session, book, make_deal):
    for number in range(3):
        make_deal(book["anna"], company=book["alpha"], title=f"Новая {number}")
    column = board.board(session, book["anna"], local_now(), cap=2)[0]
    assert [card.deal.title for card in column.cards] == ["Новая 2", "Новая 1"]
    assert (column.total, column.more) == (4, 2)


def test_board_page(client, login, book):
    login(user=book["anna"])
    page = client.get("/pipeline/").get_data(as_text=True)
    assert "Просроченная" in page and "Без задачи" in page and "По плану" in page
    assert "Альфа" in page and "Сидорова" in page and "1 500,00" in page.replace("\xa0", " ")
    assert page.count("crm-overdue") == 1 and page.count("crm-no-task") == 1
    assert "Чужая" not in page and "777,00" not in page and "Boris" not in page
    assert "Подписанная" not in page and "В архиве" not in page
    assert f'action="/pipeline/move/{book["late"].id}"' in page
    assert 'name="manager"' not in page


def test_board_page_for_the_head_with_the_manager_filter(client, login, book):
    login(user=book["head"])
    page = client.get("/pipeline/").get_data(as_text=True)
    assert "Чужая" in page and "Просроченная" in page
    page = client.get(f"/pipeline/?manager={book['boris'].id}").get_data(as_text=True)
    assert "Чужая" in page and "Просроченная" not in page


def _statements(client, url: str) -> int:
    client.get(url)
    db.session.remove()
    with count_statements(db.engine) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_board_runs_as_many_queries_for_many_cards_as_for_few(
    client, login, book, make_deal, make_task, make_contact
):
    login(user=book["anna"])
    few = _statements(client, "/pipeline/")
    for number in range(20):
        person = make_contact(book["anna"], f"Клиент {number}")
        deal = make_deal(book["anna"], contact=person, title=f"Сделка {number}")
        make_task(book["anna"], deal=deal, contact=person)
    assert _statements(client, "/pipeline/") == few


# --- moving a deal ---------------------------------------------------------------------


def test_owner_moves_a_deal_and_the_history_records_it(session, book, stage):
    anna, late = book["anna"], book["late"]
    pipeline.move_deal(session, anna, late, stage("negotiation"))
    deal = session.get(Deal, late.id)
    assert deal.stage.code == "negotiation" and deal.closed_at is None
    entry = session.scalars(
        select(HistoryEntry).where(
            HistoryEntry.entity == "deal",
            HistoryEntry.entity_id == late.id,
            HistoryEntry.action == "changed",
        )
    ).one()
    assert entry.actor_id == anna.id
    assert {
        "field": "stage_id",
        "old": stage("cold").id,
        "new": stage("negotiation").id,
    } in entry.changes


def test_moving_a_foreign_deal_is_refused(session, book, stage):
    with pytest.raises(NotFound):
        pipeline.move_deal(session, book["anna"], book["foreign"], stage("won"))
    assert session.get(Deal, book["foreign"].id).stage.code == "cold"


def test_moving_to_lost_needs_a_reason(session, book, stage):
    late = book["late"]
    with pytest.raises(ValidationError) as refused:
        pipeline.move_deal(session, book["anna"], late, stage("lost"))
    assert refused.value.field == "lost_reason"
    assert session.get(Deal, late.id).stage.code == "cold"
    pipeline.move_deal(session, book["anna"], late, stage("lost"), lost_reason="Дорого")
    deal = session.get(Deal, late.id)
    assert deal.stage.code == "lost" and deal.lost_reason == "Дорого" and deal.closed_at


def test_an_uncovered_deal_needs_its_next_task(session, book, stage):
    bare = book["bare"]
    with pytest.raises(NextTaskRequired):
        pipeline.move_deal(session, book["anna"], bare, stage("negotiation"))
    assert session.get(Deal, bare.id).stage.code == "proposal"
    task = pipeline.move_deal(
        session,
        book["anna"],
        bare,
        stage("negotiation"),
        next_task=NextTask(subject="Созвониться", due_at=datetime(2030, 2, 1, 10)),
    )
    assert task.deal_id == bare.id and task.owner_id == book["anna"].id
    assert session.get(Deal, bare.id).stage.code == "negotiation"


def test_reopening_a_closed_deal_needs_a_next_task(session, book, stage):
    won = book["won"]
    with pytest.raises(NextTaskRequired):
        pipeline.move_deal(session, book["anna"], won, stage("proposal"))
    assert session.get(Deal, won.id).stage.code == "won"
    pipeline.move_deal(
        session,
        book["anna"],
        won,
        stage("proposal"),
        next_task=NextTask(subject="Обсудить снова", due_at=datetime(2030, 3, 1)),
    )
    deal = session.get(Deal, won.id)
    assert deal.stage.code == "proposal" and deal.closed_at is None
    assert session.scalars(
        select(Task.subject).where(Task.deal_id == won.id, Task.state == "planned")
    ).all() == ["Обсудить снова"]


def test_a_stale_board_cannot_move_a_deal(session, book, stage):
    late = book["late"]
    with pytest.raises(DomainError):
        pipeline.move_deal(session, book["anna"], late, stage("needs"), version=late.version - 1)
    assert session.get(Deal, late.id).stage.code == "cold"


# --- moving through the page -----------------------------------------------------------


def test_move_through_the_board(client, login, session, book, stage):
    login(user=book["anna"])
    late = book["late"]
    response = client.post(
        f"/pipeline/move/{late.id}", data={"stage_id": stage("needs").id, "version": late.version}
    )
    assert response.status_code == 302 and response.location.endswith("/pipeline/")
    session.expire_all()
    assert session.get(Deal, late.id).stage.code == "needs"


def test_moving_a_foreign_deal_answers_404(client, login, session, book, stage):
    login(user=book["anna"])
    response = client.post(
        f"/pipeline/move/{book['foreign'].id}", data={"stage_id": stage("won").id}
    )
    assert response.status_code == 404 and "Чужая" not in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Deal, book["foreign"].id).stage.code == "cold"


def test_lost_without_reason_asks_for_it(client, login, session, book, stage):
    login(user=book["anna"])
    late = book["late"]
    response = client.post(f"/pipeline/move/{late.id}", data={"stage_id": stage("lost").id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="lost_reason"' in page
    assert "Lost reason: say why the deal was lost." in page or "причин" in page.lower()
    session.expire_all()
    assert session.get(Deal, late.id).stage.code == "cold"
    response = client.post(
        f"/pipeline/move/{late.id}",
        data={"stage_id": stage("lost").id, "lost_reason": "Ушли к конкуренту"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Deal, late.id).lost_reason == "Ушли к конкуренту"


def test_reopening_through_the_board_asks_for_the_next_task(client, login, session, book, stage):
    login(user=book["anna"])
    won = book["won"]
    response = client.post(f"/pipeline/move/{won.id}", data={"stage_id": stage("cold").id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="next_subject"' in page and 'name="next_due_at"' in page
    session.expire_all()
    assert session.get(Deal, won.id).stage.code == "won"
    response = client.post(
        f"/pipeline/move/{won.id}",
        data={
            "stage_id": stage("cold").id,
            "next_type": "call",
            "next_subject": "Позвонить",
            "next_due_at": DUE,
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Deal, won.id).stage.code == "cold"
    assert session.scalars(
        select(Task.subject).where(Task.deal_id == won.id, Task.state == "planned")
    ).all() == ["Позвонить"]


def test_a_stale_card_is_refused_with_a_message(client, login, session, book, stage):
    login(user=book["anna"])
    late = book["late"]
    response = client.post(
        f"/pipeline/move/{late.id}",
        data={"stage_id": stage("needs").id, "version": late.version + 5},
        follow_redirects=True,
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Deal, late.id).stage.code == "cold"


def test_the_board_is_open_to_sales_roles_only(client, login):
    assert client.get("/pipeline/").status_code == 302
    for role in ("Manager", "Head", "Admin"):
        login(role)
        assert client.get("/pipeline/").status_code == 200


# --- closing from the board, the words on it --------------------------------------------


def test_the_won_and_lost_drop_zones_lead_to_the_first_closing_stages(session, stage):
    from app.models import Stage

    session.add(Stage(name="Отказ клиента", code=None, position=stage("lost").position + 5,
                      kind="lost", probability=0))
    session.commit()
    stages = pipeline.stages_in_order(session)
    assert pipeline.first_of_kind(stages, "won") == stage("won")
    assert pipeline.first_of_kind(stages, "lost") == stage("lost")


@pytest.mark.parametrize(
    ("language", "move", "won", "lost"),
    [("ru", "Переместить", "Выиграна", "Проиграна"), ("en", "Move", "Won", "Lost")],
)
def test_the_board_says_move_not_hand_over_and_offers_won_and_lost(
    client, login, book, stage, language, move, won, lost
):
    login(user=book["anna"])
    page = client.get(f"/pipeline/?_l_={language}").get_data(as_text=True)
    assert f'<button type="submit" class="btn btn-default btn-sm">{move}</button>' in page
    assert "Передать" not in page
    assert f'id="drop-won" data-stage="{stage("won").id}" data-kind="won">' in page
    assert f'id="drop-lost" data-stage="{stage("lost").id}" data-kind="lost">' in page
    assert f"</span> {won}</div>" in page
    assert f"</span> {lost}</div>" in page
    assert 'id="lost-dialog"' in page


def test_a_drop_on_lost_with_its_reason_closes_the_deal_through_the_move(
    client, login, session, book, stage
):
    login(user=book["anna"])
    late = book["late"]
    response = client.post(f"/pipeline/move/{late.id}", data={
        "stage_id": stage("lost").id, "version": late.version, "lost_reason": "Дорого",
    })
    assert response.status_code == 302
    session.expire_all()
    moved = session.get(Deal, late.id)
    assert (moved.stage.code, moved.lost_reason) == ("lost", "Дорого")
    entry = session.scalars(select(HistoryEntry).where(HistoryEntry.deal_id == late.id)).all()
    assert entry, "the move is not in the deal's history"


def test_a_drop_on_lost_without_a_reason_asks_for_it(client, login, session, book, stage):
    login(user=book["anna"])
    late = book["late"]
    response = client.post(f"/pipeline/move/{late.id}", data={
        "stage_id": stage("lost").id, "version": late.version, "lost_reason": "",
    })
    assert response.status_code == 200
    assert 'name="lost_reason"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Deal, late.id).stage.code == "cold"
