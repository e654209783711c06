"""The card's statements read the client's own rows through its indexes (SQLite's plans)."""

import re

import pytest
from sqlalchemy import text

from tests.helpers import count_statements

pytestmark = pytest.mark.sqlite_only
# A table read whole, or a manager's whole book read through the owner index.
WHOLE_TABLE = re.compile(r"^SCAN (task|history|contact|deal|company)\b")
OWNER_INDEX = re.compile(r"USING INDEX ix_\w+_owner_archived_\w+ \(owner_id=\? AND archived=\?\)$")


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_the_card_reads_no_table_whole(app, client, login, session, make_user, make_company,
                                       make_contact, make_deal, make_task, role):
    from app.extensions import db

    owner = make_user("Manager", "olga")
    company = make_company(owner, "Северный Ветер")
    person = make_contact(owner, "Смирнова", company=company)
    deal = make_deal(owner, company=company, contact=person)
    for number in range(30):
        make_task(owner, company=company, deal=deal if number % 2 else None,
                  contact=person if number % 3 == 0 else None, subject=f"Звонок {number}",
                  state="done" if number > 4 else "planned", result="Итог")
    session.execute(text("ANALYZE"))
    session.commit()
    login(user=owner) if role == "Manager" else login("Head")
    for url in (f"/companyview/show/{company.id}", f"/contactview/show/{person.id}",
                f"/dealview/show/{deal.id}"):
        with count_statements(db.engine) as seen:
            assert client.get(url).status_code == 200
        with db.engine.connect() as connection:
            for statement in seen:
                # The record itself, found by its id (FAB's scoped get), is not the card's.
                if not re.search(r"\b(task|history|contact|deal)\b", statement) or re.search(
                        r"\.id = \?", statement):
                    continue
                values = tuple([company.id] * statement.count("?"))
                plan = [row[3] for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, values)]
                assert not [step for step in plan
                            if WHOLE_TABLE.match(step) or OWNER_INDEX.search(step)], (
                    url, statement, plan)
