"""Export of the lists to CSV and XLSX: the same rows as the list, for people, safe to open."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.services.io.export import iter_csv, neutralise

# FAB's first filter of a text column: "starts with".
SEARCH = "_flt_0_name=Альфа"


def _csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff"), "CSV must start with a byte order mark for Excel"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def book(make_user, make_company):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    for name in ("Альфа 3", "Альфа 1", "Бета", "Альфа 2"):
        make_company(anna, name=name, phone="+7 495 123-45-67", email="info@alpha.ru")
    make_company(boris, name="Альфа Бориса")
    make_company(boris, name="Гамма")
    return anna, boris


@pytest.mark.parametrize("who, expected", [
    ("anna", ["Альфа 1", "Альфа 2", "Альфа 3"]),
    ("head", ["Альфа 1", "Альфа 2", "Альфа 3", "Альфа Бориса"]),
])
def test_csv_export_has_the_rows_of_the_list(client, login, book, who, expected):
    anna, _ = book
    if who == "anna":
        login(user=anna)
    else:
        login("Head", "head")
    listing = client.get(f"/companyview/list/?{SEARCH}&psize_CompanyView=100")
    assert listing.status_code == 200
    # The name is a link to the card.
    listed = re.findall(r"<td[^>]*>\s*(?:<a [^>]*>)?(Альфа[^<]*?)\s*(?:</a>)?</td>", listing.text)
    assert listed == expected
    response = client.get(f"/companyview/export/csv?{SEARCH}")
    assert response.status_code == 200
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    assert [row[0] for row in rows[1:]] == expected


def test_export_follows_the_lists_sort(client, login, book):
    login(user=book[0])
    sort = "_oc_CompanyView=name&_od_CompanyView=desc"
    response = client.get(f"/companyview/export/csv?{SEARCH}&{sort}")
    assert [row[0] for row in _csv_rows(response)[1:]] == ["Альфа 3", "Альфа 2", "Альфа 1"]


def test_headers_and_values_are_in_the_users_language(client, login, book):
    login(user=book[0])
    rows = _csv_rows(client.get("/companyview/export/csv?_l_=ru"))
    assert rows[0][:3] == ["Название", "Статус", "Отрасль"]
    assert rows[1][1] == "Активный"
    assert set(rows[1][5].split()) == {"Anna", "Test"}  # the owner's name
    changed = rows[0].index("Изменено")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", rows[1][changed])
    client.get("/lang/en")
    text = client.get("/companyview/export/csv").get_data().decode("utf-8")
    english = list(csv.reader(io.StringIO(text[1:]), delimiter=","))
    assert english[0][:3] == ["Name", "Status", "Industry"]
    assert english[1][1] == "Active"


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client, login, make_user,
                                                       make_company):
    anna = login("Manager", "anna")
    make_company(anna, name="=HYPERLINK(\"http://evil\")", industry="@SUM(1)",
                 phone="+7 495 123-45-67")
    rows = _csv_rows(client.get("/companyview/export/csv"))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][2] == "'@SUM(1)"
    assert rows[1][3] == "'+7 495 123-45-67"
    sheet = load_workbook(io.BytesIO(client.get("/companyview/export/xlsx").data)).active
    assert sheet.cell(2, 1).value == "'=HYPERLINK(\"http://evil\")"
    assert sheet.cell(2, 1).data_type == "s"
    assert sheet.cell(2, 3).value == "'@SUM(1)"


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+7", "'+7"), ("-2", "'-2"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("ООО", "ООО"), ("", ""),
])
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_xlsx_opens_and_has_the_rows_with_real_dates_and_amounts(
        client, login, make_company, make_deal):
    anna = login("Manager", "anna")
    company = make_company(anna, name="Альфа")
    make_deal(anna, company=company, title="Поставка", amount=Decimal("1234.50"),
              expected_close_date=date(2026, 12, 1))
    response = client.get("/dealview/export/xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Название", "Компания", "Контакт", "Стадия")
    title, client_name, _contact, stage, amount, currency, close, owner = rows[1][:8]
    assert (title, client_name, stage, currency) == (
        "Поставка", "Альфа", "Холодный контакт", "RUB")
    assert set(owner.split()) == {"Anna", "Test"}
    assert float(amount) == 1234.5
    assert close.date() == date(2026, 12, 1)


@pytest.mark.parametrize("view", ["companyview", "contactview", "dealview", "taskview"])
def test_every_list_exports_and_links_its_export(client, login, view):
    login("Manager", "anna")
    listing = client.get(f"/{view}/list/?_oc_x=1")
    assert f'/{view}/export/csv?_oc_x=1' in listing.text
    assert f'/{view}/export/xlsx?_oc_x=1' in listing.text
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/{view}/export/{fmt}").status_code == 200
    assert client.get(f"/{view}/export/pdf").status_code == 404


def test_a_manager_gets_only_own_tasks(client, login, make_user, make_company, make_task):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    make_task(anna, company=make_company(anna, name="Альфа"), subject="Позвонить Альфе")
    make_task(boris, company=make_company(boris, name="Бета"), subject="Позвонить Бете")
    login(user=anna)
    rows = _csv_rows(client.get("/taskview/export/csv"))
    assert [row[2] for row in rows[1:]] == ["Позвонить Альфе"]


def test_anonymous_visitors_cannot_export(client):
    response = client.get("/companyview/export/csv")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_csv_is_written_in_chunks():
    rows = ([str(n), "x"] for n in range(1200))
    chunks = list(iter_csv(["a", "b"], rows, ";"))
    assert len(chunks) == 4  # the header, then chunks of 500 rows
    assert chunks[0].startswith("\ufeff".encode())
