"""The card of a client or deal: what its header, feed and lists show, to whom, how fast."""

import re
from datetime import timedelta

import pytest

from app.models import Task
from app.models.mixins import local_now
from app.services.rules.history import set_actor
from tests.helpers import count_statements

PAST = local_now().replace(second=0, microsecond=0) - timedelta(days=3)


@pytest.fixture
def client_with_story(session, make_user, make_company, make_contact, make_deal, make_task,
                      stage):
    """A manager's company with a person, a deal moved on, done and planned tasks."""
    owner = make_user("Manager", "olga")
    other = make_user("Manager", "ivan")
    company = make_company(owner, "Северный Ветер", phone="+7 495 123-45-67",
                           email="info@sev-veter.example")
    person = make_contact(owner, "Смирнова", company=company, first_name="Анна",
                          position="Закупки")
    deal = make_deal(owner, company=company, contact=person, title="Поставка вентиляторов")
    make_task(owner, company=company, subject="Первый звонок", state="done",
              result="Интересуются, просят КП", done_at=PAST, due_at=PAST)
    planned = make_task(owner, company=company, deal=deal, subject="Перезвонить про КП")
    make_task(owner, company=company, contact=person, subject="Поздравить Анну",
              due_at=local_now() + timedelta(days=5))
    set_actor(session, owner)
    assert deal.stage_id  # loaded, so that the history knows the stage it moves from
    deal.stage = stage("proposal")
    company.industry = "Вентиляция"
    session.commit()
    return {"owner": owner, "other": other, "company": company, "person": person,
            "deal": deal, "planned": planned}


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_company_card_shows_header_feed_and_lists(client, login, client_with_story):
    story = client_with_story
    company, planned = story["company"], story["planned"]
    login(user=story["owner"])
    response = client.get(f"/companyview/show/{company.id}")
    assert response.status_code == 200
    page = _text(response)
    assert "<title>Компания «Северный Ветер» — CRM</title>" in page
    assert 'id="card-name">Северный Ветер<' in page
    # The next task, with its complete button coming back to this card.
    assert "Перезвонить про КП" in page
    assert f'href="/taskview/complete/{planned.id}?next=/companyview/show/{company.id}"' in page
    assert 'href="tel:+74951234567"' in page
    assert 'href="mailto:info@sev-veter.example"' in page
    assert f'href="/companyview/edit/{company.id}"' in page
    assert f'href="/companyview/delete/{company.id}"' in page
    # The feed: the result of the done call, the stage move, folded field changes.
    assert "Интересуются, просят КП" in page
    assert "Стадия: Холодный контакт → Коммерческое предложение" in page
    assert "Что изменилось" in page and "Вентиляция" in page
    # The people and deals, each with its own next task; the log-a-call form.
    assert "Смирнова Анна" in page and "Поздравить Анну" in page
    assert "Поставка вентиляторов" in page
    assert f'action="/companyview/log-call/{company.id}"' in page


def test_card_speaks_english(client, login, client_with_story):
    login(user=client_with_story["owner"])
    client.get("/lang/en")
    company = client_with_story["company"]
    page = _text(client.get(f"/companyview/show/{company.id}"))
    assert "<title>Company «Северный Ветер» — CRM</title>" in page
    assert "Log a call" in page and "What changed" in page and "Next task" in page
    deal = client_with_story["deal"]
    page = _text(client.get(f"/dealview/show/{deal.id}"))
    assert "<title>Deal «Поставка вентиляторов» — CRM</title>" in page


def test_contact_person_card_links_to_its_company(client, login, client_with_story):
    story = client_with_story
    login(user=story["owner"])
    page = _text(client.get(f"/contactview/show/{story['person'].id}"))
    assert "<title>Контакт «Смирнова Анна» — CRM</title>" in page
    assert f'href="/companyview/show/{story["company"].id}">Северный Ветер</a>' in page
    assert "Поздравить Анну" in page  # its own next task in the header


def test_deal_card_links_to_its_client_and_contact(client, login, client_with_story):
    story = client_with_story
    login(user=story["owner"])
    page = _text(client.get(f"/dealview/show/{story['deal'].id}"))
    assert f'href="/companyview/show/{story["company"].id}">Северный Ветер</a>' in page
    assert f'href="/contactview/show/{story["person"].id}">Смирнова Анна</a>' in page
    assert "Перезвонить про КП" in page


def test_private_client_card_has_status_and_log_call(client, login, make_user, make_contact):
    owner = login("Manager")
    person = make_contact(owner, "Частная", first_name="Вера", phone="8 (916) 000-11-22")
    page = _text(client.get(f"/contactview/show/{person.id}"))
    assert 'id="card-status">Активный<' in page
    assert 'href="tel:89160001122"' in page
    assert f'action="/contactview/log-call/{person.id}"' in page
    # A live client without a planned task says so in its header.
    assert "Нет следующей задачи" in page


def test_task_card_links_to_its_client_and_deal(client, login, client_with_story):
    story = client_with_story
    login(user=story["owner"])
    planned = story["planned"]
    page = _text(client.get(f"/taskview/show/{planned.id}"))
    assert "<title>Задача «Перезвонить про КП» — CRM</title>" in page
    assert f'id="task-company" href="/companyview/show/{story["company"].id}"' in page
    assert f'id="task-deal" href="/dealview/show/{story["deal"].id}"' in page
    assert f'href="/taskview/complete/{planned.id}?next=/dealview/show/' in page


def test_completing_from_the_card_comes_back_to_it(client, login, client_with_story):
    story = client_with_story
    login(user=story["owner"])
    company, planned = story["company"], story["planned"]
    card = f"/companyview/show/{company.id}"
    due = (local_now() + timedelta(days=7)).replace(hour=10, minute=0)
    response = client.post(f"/taskview/complete/{planned.id}?next={card}", data={
        "outcome": "done", "result": "Получили КП, думают", "next_type": "call",
        "next_subject": "Узнать решение", "next_due_at": due.strftime("%Y-%m-%dT%H:%M"),
        "version_seen": str(planned.version),
    })
    assert response.status_code == 302
    assert response.headers["Location"].endswith(card)
    page = _text(client.get(card))
    assert "Задача завершена." in page and "Получили КП, думают" in page
    assert 'id="card-next-task"' in page and "Узнать решение" in page


@pytest.mark.parametrize("screen", ["companyview", "dealview", "contactview"])
def test_a_manager_gets_404_on_a_foreign_card(client, login, client_with_story, screen,
                                              session):
    story = client_with_story
    login(user=story["other"])
    pk = {"companyview": story["company"], "dealview": story["deal"],
          "contactview": story["person"]}[screen].id
    response = client.get(f"/{screen}/show/{pk}")
    assert response.status_code == 404
    assert "Северный Ветер" not in response.get_data(as_text=True)
    assert "Смирнова" not in response.get_data(as_text=True)
    response = client.post(f"/{screen}/log-call/{pk}", data={"call-result": "Звонил"})
    assert response.status_code == 404
    assert session.query(Task).filter_by(result="Звонил").count() == 0


def test_head_sees_a_managers_card_and_a_manager_not_another_ones_tasks(
        client, login, client_with_story, make_task, session):
    story = client_with_story
    # A task of another manager on olga's client: olga's card does not show it.
    make_task(story["other"], company=story["company"], subject="Чужая задача")
    login(user=story["owner"])
    assert "Чужая задача" not in _text(client.get(f"/companyview/show/{story['company'].id}"))
    login("Head")
    page = _text(client.get(f"/companyview/show/{story['company'].id}"))
    assert "Чужая задача" in page and "Перезвонить про КП" in page


def _card_with_tasks(session, make_user, make_company, make_contact, make_deal, make_task,
                     count: int):
    owner = make_user("Manager", f"owner{count}")
    set_actor(session, owner)
    company = make_company(owner, f"Клиент {count}", phone="+7 495 000-00-00")
    person = make_contact(owner, f"Петров {count}", company=company)
    deal = make_deal(owner, company=company, contact=person, title=f"Сделка {count}")
    for n in range(count):
        make_task(owner, company=company, deal=deal if n % 2 else None,
                  contact=person if n % 3 == 0 else None, subject=f"Звонок {n}",
                  state="done", result=f"Итог {n}", done_at=PAST - timedelta(hours=n),
                  due_at=PAST - timedelta(hours=n))
        make_task(owner, company=company, deal=deal if n % 2 else None,
                  subject=f"План {n}", due_at=local_now() + timedelta(days=n + 1))
    company.industry = f"Отрасль {count}"
    session.commit()
    return owner, company, deal, person


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_card_runs_as_many_statements_for_50_tasks_as_for_5(
        app, client, login, session, make_user, make_company, make_contact, make_deal,
        make_task, role):
    from app.extensions import db

    cards = [_card_with_tasks(session, make_user, make_company, make_contact, make_deal,
                              make_task, count) for count in (5, 50)]
    counts = []
    for owner, company, deal, person in cards:
        login(user=owner) if role == "Manager" else login("Head")
        for url in (f"/companyview/show/{company.id}", f"/dealview/show/{deal.id}",
                    f"/contactview/show/{person.id}"):
            client.get(url)  # warm: the menu and permissions are cached alike
            with count_statements(db.engine) as seen:
                assert client.get(url).status_code == 200
            counts.append((url.split("/")[1], len(seen)))
    few, many = counts[:3], counts[3:]
    assert few == many, "the card's statements grew with the client's tasks"



def test_the_feed_never_names_another_managers_company(client, login, client_with_story,
                                                        make_company, make_contact, session):
    """A person moved to olga's company from ivan's: her feed says whose, not which."""
    from app.services.rules import saving

    story = client_with_story
    foreign = make_company(story["other"], "Тайная компания")
    person = make_contact(story["owner"], "Орлова", company=foreign, first_name="Вера")
    person.company = story["company"]
    saving.save_record(session, story["owner"], person, is_new=False, next_task=None)
    session.commit()
    login(user=story["owner"])
    page = _text(client.get(f"/companyview/show/{story['company'].id}"))
    assert "Орлова Вера" in page
    assert "Тайная компания" not in page
    assert "запись другого менеджера" in page
    login("Head")
    assert "Тайная компания" in _text(client.get(f"/companyview/show/{story['company'].id}"))
