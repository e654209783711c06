"""Lists filter a status, a type or a state by its label in the user's language."""

import json
import re

import pytest

from tests.helpers import api_login


def _search_setup(page: str) -> tuple[dict, dict]:
    """Return the search form's fields and operators, as FAB's filter script gets them."""
    script = re.search(r"new AdminFilters\(\s*'#filter_form',(.*?)\);", page, re.S).group(1)
    _labels, fields, operators, _active = json.loads(f"[{script}]")
    return fields, operators


def _options(field_html: str) -> dict[str, str]:
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', field_html))


def _names(page: str) -> list[str]:
    return sorted(re.findall(r"<td>(?:<a [^>]*>)?(ООО [^<]*)<", page))


@pytest.fixture
def companies(make_user, make_company):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    make_company(anna, "ООО Альфа", status="active")
    make_company(anna, "ООО Бета", status="potential")
    make_company(anna, "ООО Гамма", status="lost", lost_reason="Ушли к конкурентам")
    make_company(boris, "ООО Борис", status="active")
    return anna, boris


@pytest.mark.parametrize(("language", "active", "lost"), [
    ("ru", "Активный", "Потерян"), ("en", "Active", "Lost"),
])
def test_status_filter_is_a_select_of_translated_labels(client, login, companies, language,
                                                        active, lost):
    login(user=companies[0])
    page = client.get(f"/companyview/list/?_l_={language}").get_data(as_text=True)
    fields, operators = _search_setup(page)
    options = _options(fields["status"])
    assert options["active"] == active and options["lost"] == lost
    assert len(operators["status"]) == 2  # equal to, not equal to
    assert "<select" not in fields["name"]  # free text stays free text


def test_the_label_chosen_finds_the_clients_with_that_status(client, login, companies):
    login(user=companies[0])
    page = client.get("/companyview/list/?_flt_0_status=active").get_data(as_text=True)
    assert _names(page) == ["ООО Альфа"]  # boris's active company stays his
    page = client.get("/companyview/list/?_flt_1_status=active").get_data(as_text=True)
    assert _names(page) == ["ООО Бета", "ООО Гамма"]


@pytest.mark.parametrize("typed", ["Активный", "активный", " Active "])
def test_a_label_typed_in_the_address_is_read_as_its_code(client, login, companies, typed):
    login(user=companies[0])
    page = client.get("/companyview/list/", query_string={"_flt_0_status": typed})
    assert _names(page.get_data(as_text=True)) == ["ООО Альфа"]


def test_the_head_filters_everyone_by_status(client, login, companies):
    login("Head")
    page = client.get("/companyview/list/?_flt_0_status=active").get_data(as_text=True)
    assert _names(page) == ["ООО Альфа", "ООО Борис"]


def test_private_clients_filter_by_status(client, login, make_contact):
    manager = login()
    make_contact(manager, "Петров", status="active")
    make_contact(manager, "Сидоров", status="potential")
    page = client.get("/contactview/list/?_l_=ru").get_data(as_text=True)
    assert _options(_search_setup(page)[0]["status"])["potential"] == "Потенциальный"
    page = client.get("/contactview/list/?_flt_0_status=potential").get_data(as_text=True)
    assert "Сидоров" in page and "Петров" not in page


def test_tasks_filter_by_type_and_state(client, login, make_company, make_task):
    manager = login()
    company = make_company(manager, "ООО Альфа")
    make_task(manager, company, subject="Звонок по счёту", type="call")
    make_task(manager, company, subject="Встреча в офисе", type="meeting")
    make_task(manager, company, subject="Старый звонок", type="call", state="done",
              result="Договорились")
    page = client.get("/taskview/list/?_l_=en").get_data(as_text=True)
    fields, _operators = _search_setup(page)
    assert _options(fields["type"])["meeting"] == "Meeting"
    assert _options(fields["state"])["done"] == "Done"
    page = client.get("/taskview/list/?_flt_0_type=call&_flt_0_state=planned")
    text = page.get_data(as_text=True)
    assert "Звонок по счёту" in text
    assert "Встреча в офисе" not in text and "Старый звонок" not in text


def test_deals_filter_by_a_select_of_translated_stages(client, login, make_company, make_deal,
                                                       stage):
    manager = login()
    company = make_company(manager, "ООО Альфа")
    make_deal(manager, company, title="Поставка станков", stage=stage("proposal"))
    make_deal(manager, company, title="Ремонт", stage=stage("cold"))
    page = client.get("/dealview/list/?_l_=en").get_data(as_text=True)
    stages = _options(_search_setup(page)[0]["stage"])
    assert stages[str(stage("proposal").id)] == "Proposal"
    page = client.get(f"/dealview/list/?_flt_0_stage={stage('proposal').id}")
    text = page.get_data(as_text=True)
    assert "Поставка станков" in text and "Ремонт" not in text


def _api_names(client, headers, filters: str) -> list[str]:
    response = client.get(f"/api/v1/company/?q=(filters:!({filters}),order_column:name,"
                          "order_direction:asc)", headers=headers)
    assert response.status_code == 200, response.json
    return [row["name"] for row in response.json["result"]]


def test_the_api_keeps_filtering_by_codes_with_every_operator(client, companies):
    headers = api_login(client, companies[0])
    assert _api_names(client, headers, "(col:status,opr:eq,value:active)") == ["ООО Альфа"]
    assert _api_names(client, headers, "(col:status,opr:sw,value:pot)") == ["ООО Бета"]
    assert _api_names(client, headers, "(col:status,opr:neq,value:active)") == [
        "ООО Бета", "ООО Гамма"]
    assert _api_names(client, headers, "(col:status,opr:in,value:!(active,lost))") == [
        "ООО Альфа", "ООО Гамма"]
    # A label in the user's language is understood too.
    assert _api_names(client, headers, "(col:status,opr:eq,value:'Активный')") == [
        "ООО Альфа"]


def test_the_admin_filters_stages_by_their_translated_kind(client, login):
    login("Admin")
    page = client.get("/stageview/list/?_l_=ru").get_data(as_text=True)
    assert _options(_search_setup(page)[0]["kind"])["won"] == "Выиграна"
    page = client.get("/stageview/list/?_l_=en&_flt_0_kind=won").get_data(as_text=True)
    assert "Won" in page and "Cold contact" not in page
