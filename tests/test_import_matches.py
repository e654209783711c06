"""An import never overwrites silently: the dry run shows each matched record's changes old
-> new, a rename needs a choice, another manager's client is reported and left alone."""

import io
import re

from app.models import Company
from app.services.io import importer

INN = "7707083893"
CSV = f"Название;ИНН;Телефон\nООО Новое имя;{INN};+7 495 000-00-02\n"


def _plan(session, user, text=CSV, rename=False, run=False):
    table = importer.read_table(text.encode(), "file.csv")
    mapping = importer.auto_mapping("company", table.headers, user)
    call = importer.run if run else importer.plan
    return call(session, user, "company", table, mapping, rename=rename)


def test_the_dry_run_shows_old_and_new_and_keeps_the_name(session, make_user, make_company):
    anna = make_user("Manager")
    make_company(anna, name="ООО Старое имя", inn=INN, phone="+7 495 000-00-01")
    [row] = _plan(session, anna).rows
    assert row.action == "update" and row.name_kept
    assert row.old == {"phone": "+7 495 000-00-01"} and "name" not in row.changes
    assert "ООО Старое имя" in row.messages[0] and "ООО Новое имя" in row.messages[0]
    _plan(session, anna, run=True)
    session.expire_all()
    company = session.query(Company).one()
    assert company.name == "ООО Старое имя" and company.phone == "+7 495 000-00-02"


def test_renaming_chosen_per_row_or_per_file(session, make_user, make_company):
    anna = make_user("Manager")
    make_company(anna, name="ООО Старое имя", inn=INN)
    [row] = _plan(session, anna, rename={2}).rows
    assert row.changes["name"] == "ООО Новое имя" and row.old["name"] == "ООО Старое имя"
    _plan(session, anna, rename=True, run=True)
    session.expire_all()
    assert session.query(Company).one().name == "ООО Новое имя"


def test_another_managers_client_is_reported_not_applied(session, make_user, make_company):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    theirs = make_company(anna, name="ООО Чужая", inn=INN)
    [row] = _plan(session, boris).rows
    assert row.action == "foreign" and "Anna" in row.messages[0]
    result = _plan(session, boris, run=True)
    assert result.counts["foreign"] == 1 and result.counts["create"] == 0
    session.expire_all()
    assert session.query(Company).count() == 1 and session.get(Company, theirs.id).name == \
        "ООО Чужая"


def test_the_screen_lists_changes_and_a_rename_choice(client, login, make_company):
    anna = login("Manager")
    make_company(anna, name="ООО Старое имя", inn=INN, phone="+7 495 000-00-01")
    uploaded = client.post("/import/", data={"kind": "company",
                                             "file": (io.BytesIO(CSV.encode()), "c.csv")},
                           content_type="multipart/form-data")
    url = uploaded.headers["Location"]
    form = {"col_0": "name", "col_1": "inn", "col_2": "phone"}
    dry = client.post(url, data=form).get_data(as_text=True)
    assert 'data-change="phone"' in dry and "+7 495 000-00-01" in dry
    assert 'name="rename_2"' in dry
    token = re.search(r"/import/mapping/([^?]+)", url).group(1)
    done = client.post(f"/import/run/{token}?kind=company", data={**form, "rename_2": "1"})
    assert done.status_code == 200
