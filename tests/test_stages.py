"""Admins configure the pipeline; a stage's kind cannot change under the deals in it."""

import pytest
from flask_babel import force_locale

from app.models import Deal, Stage
from app.services.errors import DomainError
from app.services.rules.stages import check_stage_kind_change


@pytest.fixture
def lost_deals(make_user, make_company, make_deal, stage):
    """Three deals lost for good, one of them archived, none with a planned task."""
    manager = make_user()
    company = make_company(manager, "Клиент")
    deals = [make_deal(manager, company=company, title=f"Проигранная {n}",
                       stage=stage("lost"), lost_reason="Дорого") for n in range(3)]
    deals[2].archived = True
    return deals


def edit_stage(client, stage: Stage, kind: str):
    return client.post(f"/stageview/edit/{stage.id}", data={
        "name": stage.name, "position": str(stage.position), "kind": kind,
        "probability": str(stage.probability)}, follow_redirects=True)


def test_the_lost_stage_cannot_turn_open_under_its_deals(client, login, session, stage,
                                                          lost_deals):
    login("Admin")
    lost = stage("lost")
    page = edit_stage(client, lost, "open").get_data(as_text=True)
    assert "Сделок в этапе «Проиграна»: 3. Пока в этапе есть сделки, его вид" in page
    session.expire_all()
    assert session.get(Stage, lost.id).kind == "lost"
    assert {session.get(Deal, deal.id).stage.kind for deal in lost_deals} == {"lost"}


def test_the_refusal_names_the_stage_and_the_count_in_english(app, session, stage,
                                                               lost_deals):
    lost = stage("lost")
    with app.test_request_context(), force_locale("en"):
        lost.kind = "open"
        with pytest.raises(DomainError) as refused:
            check_stage_kind_change(session, lost)
        message = str(refused.value)
    session.rollback()
    assert message == ("The stage «Lost» holds 3 deals: its kind cannot change while deals "
                       "are in it. Move them to another stage first.")
    assert refused.value.field == "kind"


def test_an_empty_stage_may_change_its_kind(client, login, session):
    login("Admin")
    spare = Stage(name="Пауза", position=50, kind="open", probability=5)
    session.add(spare)
    session.commit()
    edit_stage(client, spare, "lost")
    session.expire_all()
    assert session.get(Stage, spare.id).kind == "lost"


def test_other_fields_of_a_stage_with_deals_may_change(client, login, session, stage,
                                                       lost_deals):
    login("Admin")
    lost = stage("lost")
    client.post(f"/stageview/edit/{lost.id}", data={
        "name": lost.name, "position": str(lost.position), "kind": "lost",
        "probability": "1"}, follow_redirects=True)
    session.expire_all()
    assert session.get(Stage, lost.id).probability == 1
    # Put the seeded stage back as it was for the other tests.
    session.get(Stage, lost.id).probability = 0
    session.commit()
