"""Cadence per stage: deals not touched, or not planned to be, within the stage's limit."""

from datetime import timedelta

import pytest

from app.models.mixins import local_now
from app.services.queries import cadence
from tests.helpers import api_login


@pytest.fixture
def limited(stage, session):
    """The negotiation stage with a 7-day cadence (restored afterwards)."""
    negotiation = stage("negotiation")
    negotiation.max_days_between_touches = 7
    session.commit()
    yield negotiation
    negotiation.max_days_between_touches = None
    session.commit()


def _deal(session, make_deal, make_company, owner, stage, touched_days_ago, next_in_days,
          title="Поставка"):
    from app.models import Task

    company = make_company(owner, name=f"ООО {title}")
    deal = make_deal(owner, company=company, stage=stage, title=title)
    today = local_now().replace(hour=9, minute=0, second=0, microsecond=0)
    if next_in_days is not None:
        session.add(Task(subject="Позвонить", owner_id=owner.id, deal=deal, type="call",
                         state="planned", due_at=today + timedelta(days=next_in_days)))
        session.flush()
    # The last touch as if a task had been done then (set after the flush recomputed it).
    deal.last_touch_at = today - timedelta(days=touched_days_ago)
    session.commit()
    return deal


def _flags(session, user, deal):
    today = local_now().date()
    in_sql = deal.id in {d.id for d in cadence.off_cadence(session, user, today=today).deals}
    return cadence.is_off_cadence(deal, today), in_sql


@pytest.mark.parametrize(("touched", "next_in", "off"), [
    (7, 0, False),    # exactly at the limit since the last touch
    (8, 0, True),     # one day over
    (0, 7, False),    # next task exactly at touch + limit
    (0, 8, True),     # next task one day beyond
    (3, 5, True),     # 3 + 5 = 8 days after the touch
])
def test_cadence_flags_at_the_boundaries(session, make_user, make_deal, make_company, limited,
                                         touched, next_in, off):
    manager = make_user()
    deal = _deal(session, make_deal, make_company, manager, limited, touched, next_in)
    assert _flags(session, manager, deal) == (off, off)


def test_no_limit_never_flags(session, make_user, make_deal, make_company, stage):
    manager = make_user()
    deal = _deal(session, make_deal, make_company, manager, stage("proposal"), 90, 60)
    assert _flags(session, manager, deal) == (False, False)


def test_without_a_done_task_the_creation_is_the_last_touch(session, make_user, make_deal,
                                                            make_company, make_task, limited):
    manager = make_user()
    company = make_company(manager)
    deal = make_deal(manager, company=company, stage=limited)
    make_task(manager, deal=deal, due_at=local_now() + timedelta(days=2))
    session.refresh(deal)
    assert deal.last_touch_at == deal.created_at
    assert _flags(session, manager, deal) == (False, False)
    deal.created_at = deal.last_touch_at = local_now() - timedelta(days=10)
    session.commit()
    assert _flags(session, manager, deal) == (True, True)


def test_finishing_a_task_is_the_last_touch(session, make_user, make_deal, make_company,
                                            make_task, limited):
    from app.models import Task
    from app.services.rules.followup import NextTask, Outcome, finish_task

    manager = make_user()
    deal = _deal(session, make_deal, make_company, manager, limited, 20, 0)
    task = session.query(Task).filter_by(deal_id=deal.id).one()
    assert cadence.is_off_cadence(deal, local_now().date())
    finish_task(session, manager, task, Outcome(result="Поговорили", next_task=NextTask(
        subject="Перезвонить", due_at=local_now() + timedelta(days=3))))
    session.refresh(deal)
    assert deal.last_touch_at.date() == local_now().date()
    assert _flags(session, manager, deal) == (False, False)


def test_a_manager_sees_only_own_deals_off_cadence(session, make_user, make_deal, make_company,
                                                   limited, login, client):
    anna, boris = make_user(), make_user()
    mine = _deal(session, make_deal, make_company, anna, limited, 20, None, title="Своя")
    theirs = _deal(session, make_deal, make_company, boris, limited, 20, None, title="Чужая")
    result = cadence.off_cadence(session, anna)
    assert [d.id for d in result.deals] == [mine.id] and result.total == 1
    login(user=anna)
    page = client.get("/off-cadence/").get_data(as_text=True)
    assert "Своя" in page and "Чужая" not in page
    login("Head")
    page = client.get("/off-cadence/").get_data(as_text=True)
    assert "Своя" in page and "Чужая" in page
    page = client.get(f"/off-cadence/?manager={boris.id}").get_data(as_text=True)
    assert "Своя" not in page and "Чужая" in page
    assert cadence.off_cadence(session, make_user("Head")).per_manager == {anna.id: 1,
                                                                           boris.id: 1}
    assert theirs.owner_id == boris.id


def test_the_board_and_the_card_mark_a_deal_off_cadence(session, make_user, make_deal,
                                                        make_company, limited, login, client):
    manager = make_user()
    late = _deal(session, make_deal, make_company, manager, limited, 20, 1, title="Поздняя")
    login(user=manager)
    board = client.get("/pipeline/?_l_=en").get_data(as_text=True)
    assert "crm-off-cadence" in board and "Off cadence" in board
    card = client.get(f"/dealview/show/{late.id}?_l_=en").get_data(as_text=True)
    assert "deal-off-cadence" in card and "every 7 days" in card


def test_completing_with_a_far_next_task_warns_with_the_limit(session, make_user, make_deal,
                                                              make_company, make_task, limited,
                                                              client, login):
    manager = make_user()
    deal = _deal(session, make_deal, make_company, manager, limited, 1, None)
    task = make_task(manager, deal=deal, due_at=local_now() + timedelta(hours=1))
    headers = api_login(client, manager)
    due = (local_now() + timedelta(days=12)).replace(hour=10, minute=0, second=0, microsecond=0)
    response = client.post(f"/api/v1/task/{task.id}/complete?_l_=en", headers=headers, json={
        "result": "Поговорили", "next_task": {"type": "call", "subject": "Позвонить",
                                              "due_at": due.isoformat()}})
    assert response.status_code == 200, response.json
    assert response.json["warnings"] == [
        "Stage «Negotiation & signing» expects a touch every 7 days; the next task is in 12."
    ]
    # Within the limit: no warning.
    planned = session.get(type(task), response.json["next_task"]["id"])
    near = (local_now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    response = client.post(f"/api/v1/task/{planned.id}/complete", headers=headers, json={
        "result": "Ещё раз", "next_task": {"type": "call", "subject": "Позвонить",
                                           "due_at": near.isoformat()}})
    assert response.status_code == 200 and response.json["warnings"] == []


def test_the_stage_screen_refuses_a_limit_out_of_range(session, login, client, stage):
    login("Admin")
    cold = stage("cold")
    response = client.post(f"/stageview/edit/{cold.id}?_l_=en", data={
        "name": cold.name, "position": cold.position, "kind": "open",
        "probability": cold.probability, "max_days_between_touches": "400"})
    page = response.get_data(as_text=True)
    assert "Touch at least every, days: a number from 1 to 365" in page
    session.expire_all()
    assert stage("cold").max_days_between_touches is None


def test_the_digest_counts_deals_off_cadence(session, make_user, make_deal, make_company,
                                             limited, app):
    from app.services.io.digest import collect_digest, render_text

    manager = make_user()
    _deal(session, make_deal, make_company, manager, limited, 20, 2)
    with app.test_request_context("/?_l_=en"):
        digest = collect_digest(session, manager, local_now(), "en")
        assert digest.off_cadence_count == 1
        assert "1 deal off cadence" in render_text(digest, "http://crm.example")


def test_off_cadence_is_three_statements(session, make_user, make_deal, make_company,
                                         limited, statements):
    manager = make_user()
    for number in range(6):
        _deal(session, make_deal, make_company, manager, limited, 20, None,
              title=f"Сделка {number}")
    session.expire_all()
    assert manager.roles  # the acting user is loaded already in a request
    with statements() as seen:
        result = cadence.off_cadence(session, manager)
        names = [deal.client_name for deal in result.deals]
    assert result.total == 6
    assert sorted(names) == [f"ООО Сделка {number}" for number in range(6)]
    # The stages with a limit, the counts, the deals listed with their clients' names.
    assert len(seen) == 3, seen




def test_without_a_stage_limit_only_the_stages_are_read(session, make_user, make_deal,
                                                        make_company, stage, statements):
    manager = make_user()
    _deal(session, make_deal, make_company, manager, stage("negotiation"), 400, None)
    assert manager.roles  # the acting user is loaded already in a request
    with statements() as seen:
        result = cadence.off_cadence(session, manager)
        counted = cadence.count_off_cadence(session, manager)
    assert (result.total, result.deals, result.per_manager, counted) == (0, [], {}, (0, False))
    # The stages with a limit, once per call (none): no deal is read.
    assert len(seen) == 2 and not [sql for sql in seen if "FROM deal" in sql], seen


@pytest.fixture
def two_limited(stage, session):
    """Proposal every 3 days, negotiation every 7 (restored afterwards)."""
    stages = stage("proposal"), stage("negotiation")
    for limited, days in zip(stages, (3, 7), strict=True):
        limited.max_days_between_touches = days
    session.commit()
    yield stages
    for limited in stages:
        limited.max_days_between_touches = None
    session.commit()


def test_the_longest_untouched_come_first_across_stages(session, make_user, make_deal,
                                                        make_company, two_limited):
    proposal, negotiation = two_limited
    manager, other = make_user(), make_user()
    deals = {
        # title: stage, days since the last touch, next task in days
        "a": (proposal, 30, 1), "b": (negotiation, 40, 1), "c": (proposal, 50, 1),
        "d": (negotiation, 4, 1),    # within the negotiation's 7 days
        "e": (proposal, 4, 1),       # past the proposal's 3
        "f": (negotiation, 1, 9),    # next task 10 days after the touch
        "g": (proposal, 1, 1),       # on cadence
    }
    made = {title: _deal(session, make_deal, make_company, manager, stage_, touched, next_in,
                         title=title)
            for title, (stage_, touched, next_in) in deals.items()}
    _deal(session, make_deal, make_company, other, proposal, 60, 1, title="чужая")
    session.expire_all()

    result = cadence.off_cadence(session, manager, limit=3)
    assert [deal.title for deal in result.deals] == ["c", "b", "a"]
    assert result.total == 5
    assert result.per_manager == {manager.id: 5}
    assert cadence.count_off_cadence(session, manager) == (5, False)
    assert [deal.title for deal in cadence.off_cadence(session, manager).deals] == \
        ["c", "b", "a", "e", "f"]
    assert {title for title, deal in made.items()
            if cadence.is_off_cadence(deal, local_now().date())} == {"a", "b", "c", "e", "f"}


def test_each_owner_is_counted_up_to_the_cap(session, make_user, make_deal, make_company,
                                            limited, login, client, app, monkeypatch):
    from app.services.io.digest import collect_digest, render_text

    anna, boris, leaver = make_user(), make_user(), make_user()
    for number in range(4):
        _deal(session, make_deal, make_company, anna, limited, 20 + number, None,
              title=f"Анна {number}")
    _deal(session, make_deal, make_company, boris, limited, 9, None, title="Борис")
    _deal(session, make_deal, make_company, boris, limited, 1, 1, title="В ритме")
    # A leaver's book off cadence is the head's to see until it is handed over.
    _deal(session, make_deal, make_company, leaver, limited, 30, None, title="Ушедший")
    leaver.active = False
    session.commit()
    head = make_user("Head")

    result = cadence.off_cadence(session, head, cap=3)
    assert result.per_manager == {anna.id: 3, boris.id: 1, leaver.id: 1}
    assert result.capped == {anna.id} and result.total_capped and result.total == 5
    # The listing is not capped by the count: the untouched longest of every owner.
    assert [deal.title for deal in result.deals] == [
        "Ушедший", "Анна 3", "Анна 2", "Анна 1", "Анна 0", "Борис"]
    assert cadence.count_off_cadence(session, anna, anna.id, cap=3) == (3, True)
    assert cadence.count_off_cadence(session, boris, boris.id, cap=3) == (1, False)
    borises = cadence.off_cadence(session, head, boris.id, cap=3)
    assert (borises.per_manager, borises.capped) == ({boris.id: 1}, frozenset())
    assert [deal.title for deal in borises.deals] == ["Борис"]
    assert cadence.count_off_cadence(session, anna, anna.id, cap=4) == (4, False)

    with app.test_request_context("/?_l_=en"):
        digest = collect_digest(session, anna, local_now(), "en")
        assert (digest.off_cadence_count, digest.off_cadence_capped) == (4, False)
    monkeypatch.setattr(cadence, "COUNT_CAP", 3)
    with app.test_request_context("/?_l_=en"):
        digest = collect_digest(session, anna, local_now(), "en")
        assert "3+ deals off cadence" in render_text(digest, "http://crm.example")
    login("Head")
    page = client.get("/off-cadence/?_l_=ru").get_data(as_text=True)
    assert f'<tr data-manager="{anna.id}">' in page
    assert "3+</td>" in page and "<strong>5+</strong>" in page
    assert "сделки каждого менеджера считаются до 3" in page
    login(user=anna)
    page = client.get("/off-cadence/?_l_=en").get_data(as_text=True)
    assert "<strong>3+</strong>" in page and "deals are counted up to 3" in page
    assert "Борис" not in page and "each manager" not in page
    login("Head")
    # Exactly at the cap is a count like any other.
    monkeypatch.setattr(cadence, "COUNT_CAP", 4)
    page = client.get("/off-cadence/?_l_=ru").get_data(as_text=True)
    assert ">4</td>" in page and "+</td>" not in page and "<strong>6</strong>" in page
    assert "считаются до" not in page
