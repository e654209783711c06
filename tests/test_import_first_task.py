"""A live client that an import creates or revives gets its first task, like anywhere else."""

import re
import threading
from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.models import Company, Contact, Task
from app.services.io import import_tasks, importer
from app.services.queries import agenda
from app.services.rules import followup

INN_A = "7707083893"
INN_B = "7736207543"
FRIDAY = datetime(2030, 11, 29, 16, 30)  # a Friday afternoon
MONDAY_TEN = datetime(2030, 12, 2, 10, 0)


def _run(session, user, text, kind="company", now=FRIDAY):
    table = importer.read_table(text.encode(), "clients.csv")
    mapping = importer.auto_mapping(kind, table.headers, user)
    return importer.run(session, user, kind, table, mapping, now=now)


def _plan(session, user, text, kind="company", now=FRIDAY):
    table = importer.read_table(text.encode(), "clients.csv")
    mapping = importer.auto_mapping(kind, table.headers, user)
    return importer.plan(session, user, kind, table, mapping, now=now)


def _tasks(session, **links) -> list[Task]:
    return list(session.scalars(select(Task).filter_by(**links).order_by(Task.id)))


@pytest.mark.parametrize("now, due", [
    (datetime(2030, 11, 25, 9, 0), datetime(2030, 11, 26, 10, 0)),    # Monday -> Tuesday
    (datetime(2030, 11, 28, 23, 59), datetime(2030, 11, 29, 10, 0)),  # Thursday -> Friday
    (FRIDAY, MONDAY_TEN),
    (datetime(2030, 11, 30, 12, 0), MONDAY_TEN),                      # Saturday
    (datetime(2030, 12, 1, 12, 0), MONDAY_TEN),                       # Sunday
])
def test_the_first_call_is_due_the_next_working_day_at_ten(now, due):
    assert import_tasks.first_call_due(now) == due


def test_an_imported_live_client_gets_a_first_call(app, session, make_user):
    anna = make_user("Manager", "anna")
    with app.test_request_context(), force_locale("en"):
        result = _run(session, anna, "name;status\nImported Live One;active\n")
    assert result.counts["create"] == 1 and result.first_tasks == 1
    company = session.scalar(select(Company))
    [task] = _tasks(session, company_id=company.id)
    assert (task.type, task.subject, task.state, task.due_at, task.owner_id) == (
        "call", "First call", "planned", MONDAY_TEN, anna.id)
    assert agenda.queue(session, anna)["companies"] == []


def test_the_first_call_belongs_to_the_clients_owner(app, session, make_user):
    head = make_user("Head", "head")
    boris = make_user("Manager", "boris")
    text = "Название;Статус;Ответственный\nООО Бориса;Активный;boris\n"
    with app.test_request_context(), force_locale("ru"):
        _run(session, head, text)
    company = session.scalar(select(Company))
    [task] = _tasks(session, company_id=company.id)
    assert (company.owner_id, task.owner_id, task.subject) == (boris.id, boris.id,
                                                               "Первый звонок")


def test_a_private_client_gets_one_and_a_contact_person_none(app, session, make_user,
                                                             make_company):
    anna = make_user("Manager", "anna")
    make_company(anna, name="ООО Альфа", inn=INN_A)
    session.add(Task(subject="Позвонить", owner_id=anna.id, type="call", state="planned",
                     due_at=MONDAY_TEN, company=session.scalar(select(Company))))
    session.commit()
    text = ("Фамилия;Компания;Статус\nПетров;;Активный\nСидоров;ООО Альфа;\n")
    with app.test_request_context():
        result = _run(session, anna, text, kind="contact")
    assert [row.action for row in result.rows] == ["create", "create"]
    private = session.scalar(select(Contact).filter_by(last_name="Петров"))
    person = session.scalar(select(Contact).filter_by(last_name="Сидоров"))
    assert len(_tasks(session, contact_id=private.id)) == 1
    assert _tasks(session, contact_id=person.id) == []


def test_task_columns_win_over_the_first_call(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = "Название;Статус;Задача;Срок\nАльфа;Активный;Отправить КП;03.12.2030 15:00\n"
    with app.test_request_context():
        _run(session, anna, text)
    [task] = _tasks(session)
    assert (task.subject, task.due_at) == ("Отправить КП", datetime(2030, 12, 3, 15, 0))


def test_a_lost_client_revived_by_the_import_gets_a_first_call(app, session, make_user,
                                                               make_company):
    anna = make_user("Manager", "anna")
    lost = make_company(anna, name="ООО Альфа", inn=INN_A, status="lost",
                        lost_reason="Ушли к конкурентам")
    covered = make_company(anna, name="ООО Бета", inn=INN_B, status="lost",
                           lost_reason="Нет бюджета")
    session.add(Task(subject="Вернуть", owner_id=anna.id, type="call", state="planned",
                     due_at=MONDAY_TEN, company=covered))
    session.commit()
    text = f"Название;ИНН;Статус\nООО Альфа;{INN_A};active\nООО Бета;{INN_B};active\n"
    with app.test_request_context(), force_locale("en"):
        dry = _plan(session, anna, text)
        assert [(row.action, row.revive, row.first_call) for row in dry.rows] == [
            ("update", True, True), ("update", True, False)]
        assert dry.first_tasks == 1
        session.rollback()
        _run(session, anna, text)
    session.expire_all()
    assert (lost.status, covered.status) == ("active", "active")
    [first] = _tasks(session, company_id=lost.id)
    assert (first.subject, first.due_at, first.owner_id) == ("First call", MONDAY_TEN, anna.id)
    assert [task.subject for task in _tasks(session, company_id=covered.id)] == ["Вернуть"]


def test_the_import_attaches_through_the_follow_up_service(app, session, make_user,
                                                           monkeypatch):
    anna = make_user("Manager", "anna")
    calls = []
    original = followup.attach_first_task

    def spy(session_, actor, record, spec):
        calls.append((record.name, spec.subject))
        return original(session_, actor, record, spec)

    monkeypatch.setattr(followup, "attach_first_task", spy)
    with app.test_request_context(), force_locale("en"):
        _run(session, anna, "name;status\nOne;active\nTwo;potential\n")
    assert calls == [("One", "First call"), ("Two", "First call")]


def test_a_task_completed_after_the_dry_run_is_seen_under_the_lock(app, session, make_user,
                                                                   make_company, monkeypatch):
    """Import and completion at once: the last task of a lost client is completed (allowed:
    the client is lost) while the import revives the client; the import must notice."""
    anna = make_user("Manager", "anna")
    company = make_company(anna, name="ООО Альфа", inn=INN_A, status="lost",
                           lost_reason="Ушли к конкурентам")
    task = Task(subject="Последний звонок", owner_id=anna.id, type="call", state="planned",
                due_at=MONDAY_TEN, company=company)
    session.add(task)
    session.commit()
    company_id, task_id, anna_id = company.id, task.id, anna.id
    real_lock = import_tasks.lock_records
    completed = []

    def complete_elsewhere():
        """Another user's request: its own app context, session and connection."""
        from app.extensions import db
        from app.models import User

        with app.app_context(), app.test_request_context():
            other = db.session
            followup.finish_task(other, other.get(User, anna_id), other.get(Task, task_id),
                                 followup.Outcome(result="Не дозвонились"))
            completed.append(other.get(Task, task_id).state)
            db.session.remove()

    def lock_after_the_other_commits(session_, records_):
        worker = threading.Thread(target=complete_elsewhere)
        worker.start()
        worker.join(timeout=30)
        real_lock(session_, records_)

    monkeypatch.setattr(import_tasks, "lock_records", lock_after_the_other_commits)
    with app.test_request_context(), force_locale("en"):
        result = _run(session, anna, f"Название;ИНН;Статус\nООО Альфа;{INN_A};active\n")
    assert completed == ["done"]
    assert result.rows[0].first_call  # the dry run saw a task; under the lock it was gone
    session.expire_all()
    planned = [t.subject for t in _tasks(session, company_id=company_id, state="planned")]
    assert planned == ["First call"]


def test_the_import_holds_its_lock_until_it_commits(app, session, make_user, make_company,
                                                    monkeypatch):
    """A second writer of the revived client waits for the import's commit."""
    anna = make_user("Manager", "anna")
    company = make_company(anna, name="ООО Альфа", inn=INN_A, status="lost",
                           lost_reason="Ушли к конкурентам")
    company_id = company.id
    real_lock = import_tasks.lock_records
    events = []

    def write_elsewhere():
        from app.extensions import db

        with app.app_context():
            other = db.session
            real_lock(other, [other.get(Company, company_id)])
            events.append("other writer locked")
            other.rollback()
            db.session.remove()

    worker = threading.Thread(target=write_elsewhere)

    def lock_then_let_the_other_try(session_, records_):
        real_lock(session_, records_)
        worker.start()
        worker.join(timeout=0.5)  # it must still be waiting for our lock
        events.append("import still holds the lock")

    monkeypatch.setattr(import_tasks, "lock_records", lock_then_let_the_other_try)
    with app.test_request_context():
        _run(session, anna, f"Название;ИНН;Статус\nООО Альфа;{INN_A};active\n")
    worker.join(timeout=30)
    assert events == ["import still holds the lock", "other writer locked"]


def test_the_dry_run_screen_says_who_gets_a_first_call(app, client, login, session,
                                                       tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_IMPORT_DIR", str(tmp_path / "imports"))
    login("Manager", "anna")
    client.get("/lang/en")
    text = "name;status\nImported Live One;active\nImported Two;potential\n"
    upload = client.post("/import/", content_type="multipart/form-data",
                         data={"kind": "company", "file": (_file(text), "clients.csv")})
    assert upload.status_code == 302
    mapping_url = upload.headers["Location"]
    form = {"col_0": "name", "col_1": "status"}
    dry = client.post(mapping_url, data=form)
    assert dry.status_code == 200
    assert re.search(r'id="import-first-tasks"[^>]*>\s*2 clients get a first call task',
                     dry.text)
    assert dry.text.count("data-first-task") == 2
    assert "first task: First call, " in dry.text
    assert session.scalar(select(Task.id)) is None  # a dry run writes nothing
    token = re.search(r"/import/mapping/([^?]+)", mapping_url).group(1)
    done = client.post(f"/import/run/{token}?kind=company", data=form)
    assert re.search(r'id="import-first-tasks"[^>]*>\s*2 clients got a first task', done.text)
    assert len(_tasks(session)) == 2


def _file(text: str):
    import io

    return io.BytesIO(text.encode())
