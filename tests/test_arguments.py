"""Malformed paging, sorting, ids and filters get a sane answer, never a 500."""

import re

import pytest

from app.models import Company
from app.views.arguments import MAX_PAGE_SIZE

BAD_URLS = (
    "/companyview/list/?page_CompanyView=abc",
    "/companyview/list/?psize_CompanyView=abc",
    "/companyview/list/?page_CompanyView=99999999999999999999999",
    "/companyview/list/?_oc_CompanyView=nope&_od_CompanyView=asc",
    "/companyview/show/99999999999999999999999",
    "/taskview/complete/99999999999999999999999",
    "/reports/tasks/?weeks=²",
    "/reports/won-lost/?months=²",
    "/pipeline/?manager=²",
    "/pipeline/?manager=99999999999999999999",
    "/reports/funnel/?manager=²",
    "/queue/?page=99999999999999999999",
    "/reassign/?from_user=99999999999999999999",
    "/reassign/?company=99999999999999999999",
)


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_arguments_never_answer_500(client, login, url):
    login("Head")
    assert client.get(url).status_code in (200, 302, 404)


def test_page_size_is_capped(client, login, session):
    """Asking for a hundred million rows a page shows the cap's rows, not all of them."""
    manager = login("Manager")
    session.add_all([Company(name=f"Компания {number:03}", owner_id=manager.id, status="active")
                     for number in range(MAX_PAGE_SIZE + 5)])
    session.commit()
    page = client.get("/companyview/list/?psize_CompanyView=100000000"
                      "&_oc_CompanyView=name&_od_CompanyView=asc")
    assert page.status_code == 200
    shown = re.findall(r"Компания (\d{3})", page.get_data(as_text=True))
    assert sorted(set(shown)) == [f"{number:03}" for number in range(MAX_PAGE_SIZE)]


def test_complete_dialog_never_redirects_to_another_host(client, login, make_company,
                                                         make_task):
    manager = login("Manager")
    company = make_company(manager)
    task = make_task(manager, company=company)
    make_task(manager, company=company, subject="Ещё одна")
    response = client.post(f"/taskview/complete/{task.id}?next=https://evil.example/x",
                           data={"outcome": "done", "result": "Готово"})
    assert response.status_code == 302
    assert "evil.example" not in response.location


UNSAFE_NEXT = (
    "https://evil.example/x", "//evil.example", "/%09/evil.example", "/%0a/x", "/\\evil.example",
    "/%5cevil.example", "/%2F%2Fevil.example", "/%252F%252Fevil.example", "/ /evil.example",
    "/x%00y", "javascript:alert(1)", "/%E2%80%8B/evil.example", "", "/?q=a b",
)


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_safe_next_falls_back_for_anything_but_a_local_path(target):
    from app.redirects import safe_next

    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ("/", "/taskview/list/", "/companyview/show/3?x=1#t",
                                    "/dealview/list/?_flt_0_title=%D0%90",
                                    "/companyview/list/?_flt_0_name=%D0%9E%D0%9E%D0%9E%20%D0%A0"))
def test_safe_next_keeps_a_local_path(target):
    from app.redirects import safe_next

    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", ("/%09/evil.example", "/%0a/x", "/%0d%0aSet-Cookie:x=1"))
def test_complete_dialog_checks_next_before_completing(client, login, session, make_company,
                                                       make_task, target):
    from app.models import Task

    manager = login("Manager")
    company = make_company(manager)
    task = make_task(manager, company=company)
    make_task(manager, company=company, subject="Ещё одна")
    response = client.post(f"/taskview/complete/{task.id}?next={target}",
                           data={"outcome": "done", "result": "Готово"})
    assert response.status_code == 302
    assert response.location == "/"
    session.expire_all()
    assert session.get(Task, task.id).state == "done"


@pytest.mark.parametrize("target", ("/%09/evil.example", "/%0a/x", "//evil.example"))
def test_login_never_follows_an_unsafe_next(client, make_user, target):
    from tests.helpers import PASSWORD

    user = make_user("Manager")
    response = client.post(f"/login/?next={target}",
                           data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/"
