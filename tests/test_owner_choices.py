"""Only users who can own clients are offered as owners: active Managers and Heads.

A pure administrator keeps the system and owns no clients; someone who left is inactive.
Forms, the report and board manager filters and the importer follow the one definition
in app/services/rules/team.py.
"""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.models import Company
from app.services.io import importer
from app.services.queries import reports

OWNER_FORMS = ("/companyview/add", "/contactview/add", "/dealview/add", "/taskview/add")


@pytest.fixture
def people(make_user, app, session):
    """The head, two managers (one gone), a pure admin, and an admin who also sells."""
    seller = make_user("Admin", "seller")
    seller.roles.append(app.appbuilder.sm.find_role("Manager"))
    session.commit()
    return {
        "head": make_user("Head", "head"),
        "anna": make_user("Manager", "anna"),
        "gone": make_user("Manager", "gone", active=False),
        "root": make_user("Admin", "root"),
        "seller": seller,
    }


def _owner_options(html: str, select_id: str = "owner") -> list[str]:
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no #{select_id} select on the page"
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>",
                                                 found.group(1)) if text.strip()]


@pytest.mark.parametrize("url", OWNER_FORMS)
def test_forms_offer_only_active_managers_and_heads_as_owners(client, login, people, url):
    login(user=people["head"])
    page = client.get(url)
    assert page.status_code == 200
    names = " | ".join(_owner_options(page.text))
    for offered in ("Head", "Anna", "Seller"):
        assert offered in names
    for left_out in ("Root", "Gone"):
        assert left_out not in names


def test_report_and_board_filters_offer_only_client_owners(app, client, login, people,
                                                            session):
    names = [name for _, name in reports.team(session)]
    assert names == sorted(names, key=lambda name: name.split()[::-1])
    joined = " | ".join(names)
    for offered in ("Head", "Anna", "Seller"):
        assert offered in joined
    for left_out in ("Root", "Gone"):
        assert left_out not in joined

    login(user=people["root"])
    for url, select_id in (("/reports/funnel/", "report-manager"),
                           ("/pipeline/", "board-manager")):
        page = client.get(url)
        assert page.status_code == 200
        offered = " | ".join(_owner_options(page.text, select_id))
        assert "Anna" in offered and "Seller" in offered
        assert "Root" not in offered and "Gone" not in offered


def test_the_importer_takes_only_a_client_owner(app, session, people):
    text = ("Название;Ответственный\n"
            "Альфа;anna\n"
            "Бета;root\n"
            "Гамма;seller@example.com\n"
            "Дельта;gone\n")
    with app.test_request_context(), force_locale("en"):
        table = importer.read_table(text.encode(), "clients.csv")
        result = importer.run(session, people["head"], "company", table,
                              {0: "name", 1: "owner"})
    assert [row.action for row in result.rows] == ["create", "reject", "create", "reject"]
    assert result.rows[1].messages == ["Owner: «root» cannot own clients; name a manager."]
    assert result.rows[3].messages == ["Owner: this user is not active."]
    owners = dict(session.execute(select(Company.name, Company.owner_id)).all())
    assert owners == {"Альфа": people["anna"].id, "Гамма": people["seller"].id}
