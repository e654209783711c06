"""Lists stay fast on big tables: a capped count, pages up to the cap, a lean search form."""

import re

import pytest
from sqlalchemy import insert

from app.models import Company
from app.services.rules import summaries


@pytest.fixture
def cap(app, monkeypatch):
    """Make lists stop counting at `n` rows for this test."""

    def set_cap(n: int) -> None:
        monkeypatch.setitem(app.config, "CRM_LIST_COUNT_CAP", n)

    return set_cap


def _count_text(page: str) -> str:
    block = re.search(r'id="record-count">(.*?)</div>', page, re.S).group(1)
    # Only ASCII spaces are collapsed: the no-break space groups Russian digits.
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def _page_links(page: str, view: str = "CompanyView") -> set[int]:
    pagination = re.search(r'<ul class="pagination.*?</ul>', page, re.S).group(0)
    return {int(number) for number in re.findall(rf"page_{view}=(\d+)", pagination)}


def _rows(page: str, prefix: str) -> list[str]:
    # A record's name is a link to its card.
    return re.findall(rf"<td[^>]*>(?:<a [^>]*>)?({prefix}[^<]*)(?:</a>)?</td>", page)


def test_a_list_longer_than_the_cap_says_more_than(client, login, make_company, cap):
    manager = login()
    for number in range(7):
        make_company(manager, f"Фирма {number}")
    cap(5)
    page = client.get("/companyview/list/").data.decode()
    assert _count_text(page) == "Количество записей: более 5"
    assert len(_rows(page, "Фирма")) == 7  # a first page shorter than the cap shows all
    english = client.get("/companyview/list/?_l_=en").data.decode()
    assert _count_text(english) == "Record Count: more than 5"


def test_pages_go_up_to_the_cap(client, login, make_company, cap):
    manager = login()
    for number in range(7):
        make_company(manager, f"Фирма {number}")
    cap(5)
    second = client.get("/companyview/list/?psize_CompanyView=2&page_CompanyView=1")
    page = second.data.decode()
    assert second.status_code == 200
    assert _rows(page, "Фирма") == ["Фирма 2", "Фирма 3"]
    assert _page_links(page) == {0, 2}  # three pages of two: five rows are counted
    last = client.get("/companyview/list/?psize_CompanyView=2&page_CompanyView=2").data.decode()
    assert _rows(last, "Фирма") == ["Фирма 4", "Фирма 5"]


def test_under_the_cap_the_exact_count_shows(client, login, make_company, cap):
    manager = login()
    for number in range(5):
        make_company(manager, f"Фирма {number}")
    cap(5)
    page = client.get("/companyview/list/").data.decode()
    assert _count_text(page) == "Количество записей: 5"
    cap(10_000)
    assert _count_text(client.get("/companyview/list/").data.decode()) == \
        "Количество записей: 5"


def test_counts_follow_the_managers_scope(client, login, make_user, make_company, cap):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    for number in range(3):
        make_company(anna, f"Анна {number}")
    for number in range(7):
        make_company(boris, f"Борис {number}")
    cap(5)
    login(user=anna)
    page = client.get("/companyview/list/").data.decode()
    assert _count_text(page) == "Количество записей: 3"
    assert _rows(page, "Борис") == []
    login(user=boris)
    assert _count_text(client.get("/companyview/list/").data.decode()) == \
        "Количество записей: более 5"
    login("Head")
    assert _count_text(client.get("/companyview/list/").data.decode()) == \
        "Количество записей: более 5"
    cap(100)
    assert _count_text(client.get("/companyview/list/").data.decode()) == \
        "Количество записей: 10"


def test_a_search_narrows_the_capped_count(client, login, make_company, cap):
    manager = login()
    for number in range(7):
        make_company(manager, f"Фирма {number}")
    make_company(manager, "Другая")
    cap(5)
    page = client.get("/companyview/list/?_flt_0_name=Друг").data.decode()
    assert _count_text(page) == "Количество записей: 1"
    assert _rows(page, "Другая") == ["Другая"]


@pytest.mark.parametrize("view", ["companyview", "contactview", "dealview", "taskview"])
def test_the_owner_filter_offers_only_active_users(client, login, make_user, view):
    make_user("Manager", "dismissed", active=False)
    make_user("Manager", "idle")
    login("Head", "chief")
    page = client.get(f"/{view}/list/").data.decode()
    assert "Test Idle" in page and "Test Chief" in page  # Russian order: last name first
    assert "Dismissed" not in page


@pytest.mark.parametrize(("language", "over", "under"), [
    ("ru", "Количество записей: более 1\u00a0000", "Количество записей: 1\u00a0001"),
    ("en", "Record Count: more than 1,000", "Record Count: 1,001"),
])
def test_counts_are_written_as_the_reader_writes_numbers(app, client, login, session, cap,
                                                         language, over, under):
    manager = login()
    session.execute(insert(Company), [
        {"name": f"Фирма {number:04}", "status": "lost", "lost_reason": "Закрылись",
         "owner_id": manager.id, "created_by_id": manager.id}
        for number in range(1001)
    ])
    # A bulk insert passes by the flush hook that keeps the charts' summaries.
    summaries.rebuild(session)
    session.commit()
    cap(1000)
    assert _count_text(client.get(f"/companyview/list/?_l_={language}").data.decode()) == over
    cap(5000)
    assert _count_text(client.get(f"/companyview/list/?_l_={language}").data.decode()) == under


def test_filtering_by_owner_counts_that_owners_rows(client, login, make_user, make_company,
                                                    cap):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    for number in range(2):
        make_company(anna, f"Анна {number}")
    for number in range(7):
        make_company(boris, f"Борис {number}")
    cap(5)
    login("Head")
    page = client.get(f"/companyview/list/?_flt_0_owner={anna.id}").data.decode()
    assert _count_text(page) == "Количество записей: 2"
    assert _rows(page, "Анна") == ["Анна 0", "Анна 1"] and _rows(page, "Борис") == []
    page = client.get(f"/companyview/list/?_flt_0_owner={boris.id}").data.decode()
    assert _count_text(page) == "Количество записей: более 5"


def _names_found(client, view: str, column: str, typed: str) -> list[str]:
    page = client.get(f"/{view.lower()}/list/", query_string={f"_flt_0_{column}": typed})
    assert page.status_code == 200
    return sorted(re.findall(r'<td[^>]*>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>',
                             page.get_data(as_text=True)))


def test_starts_with_search_ignores_case_and_takes_wildcards_as_typed(client, login,
                                                                      make_company):
    manager = login()
    for name in ("Alpha Trade", "alpine Group", "Beta Alpha", "100% Juice", "1000 Cups",
                 "A_B Service", "AXB Service"):
        make_company(manager, name)
    found = _names_found(client, "CompanyView", "name", "ALP")
    assert "Alpha Trade" in found and "alpine Group" in found
    assert "Beta Alpha" not in found  # it contains the text but does not start with it
    assert "100% Juice" in _names_found(client, "CompanyView", "name", "100%")
    assert "1000 Cups" not in _names_found(client, "CompanyView", "name", "100%")
    underscore = _names_found(client, "CompanyView", "name", "A_B")
    assert "A_B Service" in underscore and "AXB Service" not in underscore


def test_starts_with_search_finds_cyrillic_names(client, login, make_company, make_task):
    manager = login()
    company = make_company(manager, "Агрохолдинг Север")
    make_company(manager, "Северный Агро")
    make_task(manager, company=company, subject="Позвонить: уточнить объём")
    assert "Агрохолдинг Север" in _names_found(client, "CompanyView", "name", "Агро")
    assert "Северный Агро" not in _names_found(client, "CompanyView", "name", "Агро")
    tasks = client.get("/taskview/list/", query_string={"_flt_0_subject": "Позвонить"})
    assert "Позвонить: уточнить объём" in tasks.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["агро", "АГРО", "аГрО"])
def test_starts_with_search_ignores_the_case_of_cyrillic_letters(client, login, make_company,
                                                                make_contact, make_deal,
                                                                make_task, typed):
    manager = login()
    company = make_company(manager, "Агрохолдинг Север")
    make_company(manager, "Северный Агро")
    make_contact(manager, "Агронов")
    make_deal(manager, company=company, title="Агрономия: поставка")
    make_task(manager, company=company, subject="Агроном: позвонить")
    found = _names_found(client, "CompanyView", "name", typed)
    assert "Агрохолдинг Север" in found and "Северный Агро" not in found
    for view, column, expected in (("ContactView", "last_name", "Агронов"),
                                   ("DealView", "title", "Агрономия: поставка"),
                                   ("TaskView", "subject", "Агроном: позвонить")):
        page = client.get(f"/{view.lower()}/list/", query_string={f"_flt_0_{column}": typed})
        assert expected in page.get_data(as_text=True), view
