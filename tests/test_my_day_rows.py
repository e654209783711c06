"""My day lists the first tasks of each part; its badge counts them all and links to the rest."""

import re
from datetime import timedelta

from app.models.mixins import local_now
from app.views.index import MY_DAY_ROWS


def _link(page: str, anchor: str) -> str:
    return re.search(rf'href="([^"]+)" id="{anchor}"', page).group(1).replace("&amp;", "&")


def test_a_long_overdue_part_shows_its_count_and_opens_every_task(client, login,
                                                                  make_company, make_task):
    anna = login("Manager", "anna")
    company = make_company(owner=anna)
    now = local_now()
    extra = 5
    for number in range(MY_DAY_ROWS + extra):
        make_task(anna, company, subject=f"Просрочено {number:02d}",
                  due_at=now - timedelta(days=number + 1))
    page = client.get("/").get_data(as_text=True)
    overdue = page.split('id="my-overdue"', 1)[1].split('id="my-today"', 1)[0]
    assert f'<span class="badge">{MY_DAY_ROWS + extra}</span>' in overdue
    assert len(re.findall(r"Просрочено \d\d", overdue)) == MY_DAY_ROWS
    everything = client.get(_link(page, "my-overdue-all")).get_data(as_text=True)
    assert len(set(re.findall(r"Просрочено \d\d", everything))) == MY_DAY_ROWS + extra


def test_a_short_part_has_no_link_to_more(client, login, make_company, make_task):
    anna = login("Manager", "anna")
    make_task(anna, make_company(owner=anna), subject="Один звонок",
              due_at=local_now() - timedelta(hours=1))
    page = client.get("/").get_data(as_text=True)
    assert "Один звонок" in page and 'id="my-overdue-all"' not in page
    assert 'id="my-overdue"' in page


def test_the_heads_own_day_opens_her_own_tasks_only(client, login, make_user, make_company,
                                                    make_task):
    head = login("Head")
    boris = make_user("Manager", "boris")
    now = local_now()
    for owner, who in ((head, "Своя"), (boris, "Чужая")):
        company = make_company(owner=owner)
        for number in range(MY_DAY_ROWS + 1):
            make_task(owner, company, subject=f"{who} {number:02d}",
                      due_at=now - timedelta(days=number + 1))
    page = client.get("/my-day/").get_data(as_text=True)
    everything = client.get(_link(page, "my-overdue-all")).get_data(as_text=True)
    assert len(set(re.findall(r"Своя \d\d", everything))) == MY_DAY_ROWS + 1
    assert "Чужая" not in everything


def test_past_a_hundred_the_counters_say_so_instead_of_counting_on(client, login, make_company,
                                                                   make_task, monkeypatch):
    from app.views import counters

    monkeypatch.setattr(counters, "TASK_COUNT_CAP", 3)
    anna = login("Manager", "anna")
    company = make_company(owner=anna)
    for number in range(5):
        make_task(anna, company, subject=f"Просрочено {number}",
                  due_at=local_now() - timedelta(days=number + 1))
    page = client.get("/").get_data(as_text=True)
    assert 'id="counter-overdue">3+</span>' in page
    assert '<span class="badge">3+</span>' in page.split('id="my-overdue"', 1)[1]


def test_birthdays_come_soonest_first_across_the_new_year(make_user, make_contact):
    from datetime import date

    from app.extensions import db
    from app.services.queries.agenda import birthdays
    from app.services.rules.validation import birthday_key

    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    for last_name, birthday in (("Январский", date(1990, 1, 2)),
                                ("Декабрьский", date(1985, 12, 31)),
                                ("Новогодний", date(1979, 1, 1)), ("Летний", date(1990, 7, 1))):
        make_contact(anna, last_name, birthday=birthday, birthday_key=birthday_key(birthday))
    make_contact(boris, "Чужой", birthday=date(1990, 12, 31), birthday_key=1231)
    today = date(2026, 12, 30)
    names = [contact.last_name for contact in birthdays(db.session, anna, today)]
    assert names == ["Декабрьский", "Новогодний", "Январский"]
    # A long list keeps the soonest: the farthest days are the ones cut off.
    assert [contact.last_name for contact in birthdays(db.session, anna, today, limit=2)] == [
        "Декабрьский", "Новогодний"]
