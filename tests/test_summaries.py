"""The charts' summary tables follow every kind of write, in its own transaction.

After each write the tables equal what the records count (`summaries.differences`, also
checked after every test of the suite by the clean-up fixture), and the charts show it.
"""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import delete, select, text

from app.extensions import db
from app.models import ClientCreatedMonth, DealClosedMonth, DealStageMonth, Task, TaskDoneDay
from app.models.deal_stage_month import NO_CLOSE_MONTH
from app.models.mixins import local_now
from app.services.io import importer
from app.services.queries import reports
from app.services.rules import archive, followup, pipeline, reassignment, saving, summaries
from app.services.rules.followup import NextTask, Outcome
from tests.helpers import api_login, in_parallel


def _next() -> NextTask:
    return NextTask(subject="Перезвонить", due_at=local_now() + timedelta(days=2))


def _done_today(session, user) -> int:
    row = session.get(TaskDoneDay, (user.id, local_now().date()))
    return row.n if row else 0


def _closed(session, user) -> dict[str, int]:
    rows = session.execute(
        select(DealClosedMonth.stage_id, DealClosedMonth.n)
        .where(DealClosedMonth.owner_id == user.id, DealClosedMonth.n != 0)
    ).all()
    return {stage_id: n for stage_id, n in rows}


def _pipeline(session, user) -> dict[tuple, tuple]:
    rows = session.execute(
        select(DealStageMonth.month, DealStageMonth.stage_id, DealStageMonth.currency,
               DealStageMonth.n, DealStageMonth.amount)
        .where(DealStageMonth.owner_id == user.id, DealStageMonth.n != 0)
    ).all()
    return {(month, stage_id, currency): (n, amount) for month, stage_id, currency, n, amount
            in rows}


def _created(session, user) -> int:
    return sum(session.scalars(select(ClientCreatedMonth.n)
                               .where(ClientCreatedMonth.owner_id == user.id)))


def _right(session) -> None:
    session.expire_all()
    assert summaries.differences(session) == []


def test_completing_counts_for_who_did_it_cancelling_and_reopening_do_not(
        session, make_user, make_company, make_task):
    anna = make_user("Manager", "anna")
    head = make_user("Head", "head")
    alpha = make_company(anna, "Альфа")
    first = make_task(anna, company=alpha)
    second = make_task(anna, company=alpha, subject="Письмо")
    followup.finish_task(session, anna, first, Outcome(result="Договорились"))
    assert _done_today(session, anna) == 1
    _right(session)
    followup.finish_task(session, anna, second, Outcome(cancel=True, next_task=_next()))
    assert _done_today(session, anna) == 1
    _right(session)
    # Reopened (back to planned, as an edit does): it no longer counts as done.
    first.state = "planned"
    first.done_at = None
    saving.save_record(session, head, first, is_new=False, next_task=None)
    session.commit()
    assert _done_today(session, anna) == 0
    _right(session)
    activity = reports.task_activity(session, head, local_now())
    assert activity.done_per_week[-1] == 0


def test_the_chart_of_done_tasks_reads_the_summary(session, make_user, make_company, make_task):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    for owner in (anna, anna, boris):
        task = make_task(owner, company=make_company(owner, f"Клиент {owner.username}"))
        followup.finish_task(session, owner, task, Outcome(result="Ок", next_task=_next()))
    rows = {row.user_id: row.done_total for row in
            reports.task_activity(session, make_user("Head", "head"), local_now()).managers}
    assert rows == {anna.id: 2, boris.id: 1}
    # A manager still sees own numbers only.
    own = reports.task_activity(session, boris, local_now()).managers
    assert [(row.user_id, row.done_total) for row in own] == [(boris.id, 1)]


def test_won_lost_and_back_follow_the_stage(session, make_user, make_company, make_deal,
                                            make_task, stage):
    anna = make_user("Manager", "anna")
    head = make_user("Head", "head")
    alpha = make_company(anna, "Альфа")
    deal = make_deal(anna, company=alpha, amount=Decimal("1500.00"))
    make_task(anna, deal=deal)
    pipeline.move_deal(session, anna, deal, stage("won"))
    assert _closed(session, anna) == {stage("won").id: 1}
    _right(session)
    pipeline.move_deal(session, anna, deal, stage("cold"), next_task=_next())
    assert _closed(session, anna) == {}
    _right(session)
    pipeline.move_deal(session, anna, deal, stage("lost"), lost_reason="Дорого")
    assert _closed(session, anna) == {stage("lost").id: 1}
    _right(session)
    result = reports.won_lost(session, head, reports.Period.last_months(local_now().date(), 3))
    assert (result.total.won, result.total.lost) == (0, 1)
    assert result.total.lost_amounts == {"RUB": Decimal("1500.00")}
    assert result.reasons == [("Дорого", 1)]


def test_the_pipeline_follows_stage_close_date_amount_currency_owner_and_archive(
        session, make_user, make_company, make_deal, make_task, stage):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    head = make_user("Head", "head")
    alpha = make_company(anna, "Альфа")
    deal = make_deal(anna, company=alpha, amount=Decimal("1000.00"))
    make_task(anna, deal=deal)
    first = deal.stage_id
    assert _pipeline(session, anna) == {(NO_CLOSE_MONTH, first, "RUB"): (1, Decimal("1000.00"))}
    today = local_now().date()
    deal.expected_close_date = today.replace(day=28)
    deal.amount = Decimal("2500.50")
    deal.currency = "USD"
    saving.save_record(session, anna, deal, is_new=False, next_task=None)
    session.commit()
    month = today.replace(day=1)
    assert _pipeline(session, anna) == {(month, first, "USD"): (1, Decimal("2500.50"))}
    _right(session)
    pipeline.move_deal(session, anna, deal, stage("won"))
    assert _pipeline(session, anna) == {(month, stage("won").id, "USD"): (1, Decimal("2500.50"))}
    assert reports.funnel(session, anna)[0].count == 0
    _right(session)
    pipeline.move_deal(session, anna, deal, stage("cold"), next_task=_next())
    reassignment.reassign(session, head, anna, boris)
    assert _pipeline(session, anna) == {}
    assert _pipeline(session, boris) == {(month, stage("cold").id, "USD"): (1, Decimal("2500.50"))}
    _right(session)
    saving.archive_record(session, head, deal)
    session.commit()
    assert _pipeline(session, boris) == {}
    _right(session)
    archive.restore(session, head, deal)
    assert _pipeline(session, boris) == {(month, stage("cold").id, "USD"): (1, Decimal("2500.50"))}
    _right(session)


def test_a_deal_without_amount_sums_to_nothing_not_zero(session, make_user, make_company,
                                                        make_deal, stage):
    anna = make_user("Manager", "anna")
    deal = make_deal(anna, company=make_company(anna, "Альфа"), amount=None)
    pipeline.move_deal(session, anna, deal, stage("won"))
    result = reports.won_lost(session, anna, reports.Period.last_months(local_now().date(), 1))
    assert result.total.won == 1
    assert result.total.won_amounts == {}


def test_archive_and_restore_take_and_give_back_every_count(
        session, make_user, make_company, make_deal, make_task, stage):
    anna = make_user("Manager", "anna")
    head = make_user("Head", "head")
    alpha = make_company(anna, "Альфа", source="Сайт")
    deal = make_deal(anna, company=alpha)
    task = make_task(anna, company=alpha, deal=deal)
    followup.finish_task(session, anna, task, Outcome(result="Ок", deal_stage_id=stage("won").id,
                                                      client_status="lost",
                                                      lost_reason="Ушли"))
    before = (_done_today(session, anna), _closed(session, anna), _created(session, anna))
    assert before == (1, {stage("won").id: 1}, 1)
    saving.archive_record(session, head, alpha)
    session.commit()
    assert (_done_today(session, anna), _closed(session, anna), _created(session, anna)) == (
        0, {}, 0)
    _right(session)
    archive.restore(session, head, alpha)
    assert (_done_today(session, anna), _closed(session, anna), _created(session, anna)) == before
    _right(session)


def test_reassignment_moves_clients_and_deals_but_done_tasks_stay_with_who_did_them(
        session, make_user, make_company, make_deal, make_task, stage):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    head = make_user("Head", "head")
    alpha = make_company(anna, "Альфа")
    deal = make_deal(anna, company=alpha)
    task = make_task(anna, company=alpha, deal=deal)
    followup.finish_task(session, anna, task, Outcome(result="Ок", deal_stage_id=stage("won").id,
                                                      next_task=_next()))
    reassignment.reassign(session, head, anna, boris)
    assert (_created(session, anna), _closed(session, anna)) == (0, {})
    assert (_created(session, boris), _closed(session, boris)) == (1, {stage("won").id: 1})
    assert (_done_today(session, anna), _done_today(session, boris)) == (1, 0)
    _right(session)


def test_import_counts_the_clients_it_creates(app, session, make_user):
    anna = make_user("Manager", "anna")
    table = importer.read_table("Название;Источник\nООО Альфа;Выставка\nООО Бета;\n"
                                .encode(), "file.csv")
    with app.test_request_context():
        importer.run(session, anna, "company", table,
                     importer.auto_mapping("company", table.headers, anna))
    assert _created(session, anna) == 2
    _right(session)
    result = reports.new_clients(session, anna,
                                 reports.Period.last_months(local_now().date(), 1))
    assert result.total.companies == 2


def test_two_completions_at_once_by_one_manager_both_count(app, session, make_user,
                                                           make_company, make_task):
    anna = make_user("Manager", "anna")
    tasks = [make_task(anna, company=make_company(anna, f"Клиент {n}")) for n in range(2)]
    headers = api_login(app.test_client(), anna)
    ids = iter([task.id for task in tasks])
    due = (local_now() + timedelta(days=3)).replace(microsecond=0).isoformat()

    def complete(client):
        return client.post(f"/api/v1/task/{next(ids)}/complete", headers=headers, json={
            "result": "Поговорили", "next_task": {"subject": "Ещё раз", "due_at": due}})

    answers = in_parallel(app, 2, complete)
    assert sorted(answer.status_code for answer in answers) == [200, 200]
    session.expire_all()
    assert _done_today(session, anna) == 2
    _right(session)


def test_the_rebuild_command_makes_the_tables_right_again(app, session, make_user,
                                                          make_company, make_task):
    anna = make_user("Manager", "anna")
    task = make_task(anna, company=make_company(anna, "Альфа"))
    followup.finish_task(session, anna, task, Outcome(result="Ок", next_task=_next()))
    anna_id, task_id = anna.id, task.id
    # Damage them as a bulk write past the flush hook would.
    session.execute(delete(TaskDoneDay))
    session.execute(text("UPDATE client_created_month SET n = n + 5"))
    session.commit()
    assert summaries.differences(session)
    result = app.test_cli_runner().invoke(args=["crm", "rebuild-summaries"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert summaries.differences(db.session) == []
    assert db.session.get(TaskDoneDay, (anna_id, local_now().date())).n == 1
    assert db.session.scalar(select(Task.state).where(Task.id == task_id)) == "done"
