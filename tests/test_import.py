"""Import of companies and contacts: reading files, mapping, dry run, one transaction."""

import io
import re
from datetime import datetime

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from app.models import Company, Contact, HistoryEntry, Task
from app.services.errors import DomainError
from app.services.io import importer
from app.services.queries import agenda

# Valid INNs (check digits right).
INN_A = "7707083893"
INN_B = "7736207543"
INN_C = "500100732259"

COMPANIES_CSV = (
    "Название;ИНН;Телефон;E-mail;Статус\n"
    f"ООО Альфа;{INN_A};+7 495 123-45-67;info@alpha.ru;Активный\n"
    f"ООО Бета;{INN_B};;sales@beta.ru;potential\n"
    "ООО Гамма;123;;;\n"
    ";;;nobody@x.ru;\n"
    "ООО Дельта;;;bad-email;\n"
)


@pytest.fixture(autouse=True)
def _upload_dir(app, tmp_path, monkeypatch):
    """Keep uploaded files of the screen tests in a temporary folder."""
    monkeypatch.setitem(app.config, "CRM_IMPORT_DIR", str(tmp_path / "imports"))


def _table(text: str, encoding: str = "utf-8") -> importer.Table:
    return importer.read_table(text.encode(encoding), "file.csv")


def _plan(session, user, text, kind="company", mapping=None):
    table = _table(text)
    mapping = mapping or importer.auto_mapping(kind, table.headers, user)
    return importer.plan(session, user, kind, table, mapping)


def _run(session, user, text, kind="company", mapping=None):
    table = _table(text)
    mapping = mapping or importer.auto_mapping(kind, table.headers, user)
    return importer.run(session, user, kind, table, mapping)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_headers_are_matched_in_russian_and_english(app, make_user):
    anna = make_user("Manager", "anna")
    headers = ["Название", "inn", "E-mail", "Phone", "Ответственный", "Что-то ещё"]
    with app.test_request_context():
        mapping = importer.auto_mapping("company", headers, anna)
        assert mapping == {0: "name", 1: "inn", 2: "email", 3: "phone"}
        head = make_user("Head", "head")
        assert importer.auto_mapping("company", headers, head)[4] == "owner"
        contact = importer.auto_mapping(
            "contact", ["Фамилия", "Имя", "Отчество", "Компания", "Дата рождения"], anna)
        assert list(contact.values()) == [
            "last_name", "first_name", "middle_name", "company", "birthday"]


def test_dry_run_says_what_would_be_created_updated_or_rejected(
        app, session, make_user, make_company):
    anna = make_user("Manager", "anna")
    make_company(anna, name="Альфа (старое имя)", inn=INN_A)
    with app.test_request_context():
        with force_locale("ru"):
            plan = _plan(session, anna, COMPANIES_CSV)
            reasons = {row.line: row.messages for row in plan.rows}
            assert [row.action for row in plan.rows] == [
                "update", "create", "reject", "reject", "reject"]
            # The matched company keeps its name unless renaming is chosen.
            assert "name" not in plan.rows[0].changes and plan.rows[0].name_kept
            assert plan.rows[0].changes["phone"] == "+7 495 123-45-67"
            assert "10 или 12 цифр" in reasons[4][0]
            assert reasons[5] == ["Название: укажите название компании."]
            assert "адрес" in reasons[6][0].lower()
    session.rollback()
    assert _count(session, Company) == 1  # a dry run writes nothing
    assert session.scalar(select(Company.name)) == "Альфа (старое имя)"


def test_import_writes_in_one_transaction_with_history_and_owner(
        app, session, make_user, make_company):
    anna = make_user("Manager", "anna")
    make_company(anna, name="Альфа", inn=INN_A)
    with app.test_request_context():
        result = _run(session, anna, COMPANIES_CSV)
    assert result.counts == {"create": 1, "update": 1, "unchanged": 0, "reject": 3}
    companies = {c.name: c for c in session.scalars(select(Company))}
    assert set(companies) == {"Альфа", "ООО Бета"}  # no rename without a choice
    assert {c.owner_id for c in companies.values()} == {anna.id}
    assert companies["Альфа"].status == "active"
    assert companies["ООО Бета"].status == "potential"
    actions = session.scalars(select(HistoryEntry.action).where(
        HistoryEntry.entity == "company", HistoryEntry.actor_id == anna.id)).all()
    assert sorted(actions) == ["changed", "created"]


def test_running_the_same_file_twice_creates_no_duplicates(app, session, make_user):
    anna = make_user("Manager", "anna")
    with app.test_request_context():
        first = _run(session, anna, COMPANIES_CSV)
        second = _run(session, anna, COMPANIES_CSV)
    assert first.counts["create"] == 2
    assert second.counts == {"create": 0, "update": 0, "unchanged": 2, "reject": 3}
    assert _count(session, Company) == 2


def test_a_row_repeating_an_earlier_one_is_rejected(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = f"Название;ИНН\nАльфа;{INN_A}\nАльфа снова;{INN_A}\n"
    with app.test_request_context(), force_locale("en"):
        plan = _plan(session, anna, text)
    assert [row.action for row in plan.rows] == ["create", "reject"]
    assert plan.rows[1].messages == ["The same record as in line 2."]


def test_a_failure_while_writing_leaves_nothing_written(app, session, make_user, monkeypatch):
    anna = make_user("Manager", "anna")
    calls = {"n": 0}
    original = importer.records.before_save

    def failing(session_, actor, record, is_new):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(session_, actor, record, is_new)

    monkeypatch.setattr(importer.records, "before_save", failing)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError, match="Nothing was imported"):
            _run(session, anna, COMPANIES_CSV)
    assert _count(session, Company) == 0
    assert _count(session, HistoryEntry) == 0


def test_a_cp1251_file_from_russian_excel(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = f"Название;ИНН;Отрасль\r\nООО Ёлка;{INN_A};Торговля\r\n"
    table = importer.read_table(text.encode("cp1251"), "excel.csv")
    assert table.encoding == "cp1251"
    assert table.headers == ["Название", "ИНН", "Отрасль"]
    with app.test_request_context():
        mapping = importer.auto_mapping("company", table.headers, anna)
        importer.run(session, anna, "company", table, mapping)
    assert session.scalar(select(Company.industry)) == "Торговля"
    assert session.scalar(select(Company.name)) == "ООО Ёлка"


def test_utf8_with_bom_and_commas():
    table = importer.read_table("\ufeffName,INN\nAlpha,7707083893\n".encode(), "x.csv")
    assert table.headers == ["Name", "INN"]
    assert table.rows == [["Alpha", "7707083893"]]


@pytest.mark.parametrize("data, filename, message", [
    (b"", "x.csv", "The file is empty."),
    (b"PK\x03\x04broken", "x.xlsx", "could not be read as an XLSX"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1", "old.xls", "Old Excel files"),
    (b"\x00\x01\x02binary", "x.csv", "not a CSV or XLSX"),
])
def test_broken_files_get_clear_messages(app, data, filename, message):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(importer.ImportFileError) as caught:
            importer.read_table(data, filename)
        assert message in str(caught.value)


def test_wrong_types_and_too_long_text_are_rejected_with_reasons(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = ("Фамилия;Дата рождения;Должность\n"
            "Иванов;не дата;Директор\n"
            "Петров;01.02.1980;" + "x" * 200 + "\n"
            "Сидоров;1980-02-01;Бухгалтер\n")
    with app.test_request_context(), force_locale("en"):
        plan = _plan(session, anna, text, kind="contact")
    assert [row.action for row in plan.rows] == ["reject", "reject", "create"]
    assert "Not a date" in plan.rows[0].messages[0]
    assert "at most 150 characters" in plan.rows[1].messages[0]


def test_xlsx_file_is_read_with_numbers_and_dates(app, session, make_user):
    anna = make_user("Manager", "anna")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Фамилия", "Имя", "Телефон", "Дата рождения", "Задача", "Срок"])
    sheet.append(["Иванова", "Мария", 79161234567, datetime(1985, 3, 8), "Позвонить",
                  datetime(2030, 1, 10, 11, 0)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = importer.read_table(buffer.getvalue(), "people.xlsx")
    with app.test_request_context():
        mapping = importer.auto_mapping("contact", table.headers, anna)
        result = importer.run(session, anna, "contact", table, mapping)
    assert result.counts["create"] == 1
    contact = session.scalar(select(Contact))
    assert contact.phone == "+7 916 123-45-67"
    assert contact.birthday.isoformat() == "1985-03-08"
    task = session.scalar(select(Task))
    assert (task.contact_id, task.subject, task.due_at) == (
        contact.id, "Позвонить", datetime(2030, 1, 10, 11, 0))


def test_contact_persons_by_company_inn_or_name(app, session, make_user, make_company):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    alpha = make_company(anna, name="ООО Альфа", inn=INN_A)
    make_company(boris, name="ООО Бета", inn=INN_B)
    text = ("Фамилия;Компания;ИНН компании\n"
            f"Иванов;;{INN_A}\n"
            "Петров;ООО Альфа;\n"
            f"Сидоров;;{INN_B}\n"
            "Козлов;Нет такой;\n")
    with app.test_request_context(), force_locale("en"):
        result = _run(session, anna, text, kind="contact")
    assert [row.action for row in result.rows] == ["create", "create", "reject", "reject"]
    assert "no company with INN" in result.rows[2].messages[0]  # Boris's, not visible
    people = session.scalars(select(Contact).order_by(Contact.last_name)).all()
    assert [(p.last_name, p.company_id, p.status) for p in people] == [
        ("Иванов", alpha.id, None), ("Петров", alpha.id, None)]


def test_matching_is_within_what_the_user_sees(app, session, make_user, make_company):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    make_company(boris, name="Альфа Бориса", inn=INN_A)
    with app.test_request_context():
        plan = _plan(session, anna, f"Название;ИНН\nАльфа;{INN_A}\n")
    # Not matched to Boris's client, nor copied next to it: reported with its owner.
    assert plan.rows[0].action == "foreign"
    assert "Альфа Бориса" not in plan.rows[0].messages[0]


def test_the_head_sets_owners_by_login_or_email(app, session, make_user):
    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    make_user("Manager", "gone", active=False)
    text = ("Название;Ответственный\n"
            "Альфа;anna\n"
            "Бета;BORIS@example.com\n"
            "Гамма;\n"
            "Дельта;gone\n"
            "Эпсилон;nobody\n")
    with app.test_request_context(), force_locale("en"):
        result = _run(session, head, text)
    assert [row.action for row in result.rows] == [
        "create", "create", "create", "reject", "reject"]
    assert result.rows[3].messages == ["Owner: this user is not active."]
    owners = dict(session.execute(select(Company.name, Company.owner_id)).all())
    assert owners == {"Альфа": anna.id, "Бета": boris.id, "Гамма": head.id}


def test_a_manager_cannot_give_an_owner_column(app, session, make_user):
    anna = make_user("Manager", "anna")
    make_user("Manager", "boris")
    text = "Название;Ответственный\nАльфа;boris\n"
    table = _table(text)
    with app.test_request_context(), force_locale("en"):
        assert importer.auto_mapping("company", table.headers, anna) == {0: "name"}
        assert "owner" not in importer.fields_for("company", anna)
        with pytest.raises(importer.ImportFileError, match="only the head"):
            importer.plan(session, anna, "company", table, {0: "name", 1: "owner"})
        result = importer.run(session, anna, "company", table, {0: "name"})
    assert result.counts["create"] == 1
    assert session.scalar(select(Company.owner_id)) == anna.id


def test_live_clients_get_a_first_call_and_an_updated_one_stays_in_the_queue(
        app, session, make_user, make_company):
    anna = make_user("Manager", "anna")
    make_company(anna, name="Дельта", inn=INN_C)  # live, no task: legacy data
    text = ("Название;ИНН;Статус\nАльфа;;Активный\nБета;;Потенциальный\n"
            "Гамма;;Потерянный\nДельта;" + INN_C + ";Активный\n")
    with app.test_request_context(), force_locale("ru"):
        plan = _plan(session, anna, text)
        assert plan.rows[2].action == "reject"  # lost needs a reason
        assert [row.first_call for row in plan.rows] == [True, True, False, False]
        _run(session, anna, text)
    subjects = {task.company.name: task.subject for task in session.scalars(select(Task))}
    assert subjects == {"Альфа": "Первый звонок", "Бета": "Первый звонок"}
    queue = agenda.queue(session, anna)
    assert [c.name for c in queue["companies"]] == ["Дельта"]


def test_task_columns_give_live_clients_their_first_task_once(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = ("Название;Статус;Задача;Срок;Тип задачи\n"
            "Альфа;Активный;Позвонить;01.12.2030 10:00;Встреча\n"
            "Бета;Потенциальный;Позвонить;;\n")
    with app.test_request_context(), force_locale("en"):
        first = _run(session, anna, text)
        assert [row.action for row in first.rows] == ["create", "reject"]
        assert first.rows[1].messages == ["Next task: set the date and time."]
        again = _run(session, anna, text.replace("Бета;Потенциальный;Позвонить;;\n", ""))
    assert [row.action for row in again.rows] == ["unchanged"]
    task = session.scalar(select(Task))
    assert (task.type, task.due_at, task.owner_id) == (
        "meeting", datetime(2030, 12, 1, 10, 0), anna.id)
    assert agenda.queue(session, anna)["companies"] == []


def test_exported_csv_imports_back_unchanged(client, login, session, make_company, app):
    anna = login("Manager", "anna")
    make_company(anna, name="=Альфа", phone="+7 495 123-45-67", email="a@alpha.ru")
    data = client.get("/companyview/export/csv").data
    table = importer.read_table(data, "companies.csv")
    with app.test_request_context():
        mapping = importer.auto_mapping("company", table.headers, anna)
        plan = importer.plan(session, anna, "company", table, mapping)
    assert [row.action for row in plan.rows] == ["unchanged"]


# --- The screens ----------------------------------------------------------------------


def _upload(client, text: bytes, filename="companies.csv", kind="company"):
    return client.post("/import/", data={"kind": kind, "file": (io.BytesIO(text), filename)},
                       content_type="multipart/form-data")


def test_upload_map_dry_run_and_import_on_the_screens(client, login, session):
    anna = login("Manager", "anna")
    response = _upload(client, COMPANIES_CSV.encode("cp1251"))
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    assert 'name="col_0"' in page.text and '<option value="name" selected>' in page.text
    assert 'value="owner"' not in page.text  # a Manager is not offered the owner field
    form = {"col_0": "name", "col_1": "inn", "col_2": "phone", "col_3": "email",
            "col_4": "status"}
    dry = client.post(mapping_url, data=form)
    assert dry.status_code == 200
    assert 'data-action="create">2<' in dry.text
    assert 'data-action="reject">3<' in dry.text
    assert _count(session, Company) == 0
    token = re.search(r"/import/mapping/([^?]+)", mapping_url).group(1)
    done = client.post(f"/import/run/{token}?kind=company", data=form)
    assert done.status_code == 200
    assert 'data-action="create">2<' in done.text
    assert {c.owner_id for c in session.scalars(select(Company))} == {anna.id}
    assert client.get(mapping_url).status_code == 404  # the file is gone after the import


def test_a_broken_upload_is_refused_with_a_message(client, login):
    login("Manager", "anna")
    response = _upload(client, b"PK\x03\x04broken", "x.xlsx")
    assert response.status_code == 400
    assert "XLSX" in response.text and "x.xlsx" in response.text


def test_another_users_upload_is_not_found(client, login, make_user):
    login("Manager", "anna")
    location = _upload(client, COMPANIES_CSV.encode()).headers["Location"]
    login("Manager", "boris")
    assert client.get(location).status_code == 404
    assert client.get("/import/mapping/..%2F..%2Fetc?kind=company").status_code == 404


def test_the_import_screen_is_closed_to_anonymous_visitors(client):
    assert client.get("/import/").status_code == 302
