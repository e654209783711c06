"""Malformed paging, sorting, ids and filters get a sane answer, never a 500."""

import pytest

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


def test_page_size_is_capped(client, login, make_company):
    manager = login("Manager")
    for number in range(3):
        make_company(manager, f"Компания {number}")
    page = client.get("/companyview/list/?psize_CompanyView=100000000")
    assert page.status_code == 200 and "Компания 2" in page.get_data(as_text=True)


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
