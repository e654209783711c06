"""The rules of the service layer, called directly: each refusal names its field and says why."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, refresh

from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.rules import records
from app.services.rules import validation as v
from tests.helpers import require

# Records are built the way a form builds them: linked to saved rows but not yet added to
# the session, so SQLAlchemy notes that the links are not flushed before the checks ran.
pytestmark = pytest.mark.filterwarnings("ignore:Object of type .* not in session")


def refusal(call, *args, **kwargs) -> ValidationError:
    """Run a rule that must refuse; return the error it raised."""
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


def reloaded(session, *rows):
    """Return the rows freshly loaded, as a screen loads the record and the chosen owner."""
    keys = [(type(row), row.id) for row in rows]
    session.expire_all()
    fresh = [session.get(model, pk, populate_existing=True) for model, pk in keys]
    return fresh[0] if len(fresh) == 1 else fresh


def english(error: ValidationError) -> str:
    with force_locale("en"):
        return str(error.message)


def assert_refused(call, *args, field: str, message: str, **kwargs) -> None:
    error = refusal(call, *args, **kwargs)
    assert error.field == field
    assert english(error) == message


# --- INN ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7707083893", "7707083893"),  # an organisation: 10 digits
        ("500100732259", "500100732259"),  # a sole trader: 12 digits
        (" 7707 083 893 ", "7707083893"),  # spaces typed by the user are dropped
        (7707083893, "7707083893"),  # a number pasted from a spreadsheet
    ],
)
def test_a_valid_inn_is_kept_as_digits(value, expected):
    assert v.clean_inn(value) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_inn_is_stored_as_nothing(value):
    assert v.clean_inn(value) is None


@pytest.mark.parametrize("value", ["770708389", "77070838931", "5001007322591", "1"])
def test_an_inn_of_the_wrong_length_is_refused(value):
    assert_refused(v.clean_inn, value, field="inn", message="INN must have 10 or 12 digits.")


@pytest.mark.parametrize("value", ["77070838AB", "7707-083893", "ИНН7707083"])
def test_an_inn_with_letters_or_signs_is_refused(value):
    assert_refused(v.clean_inn, value, field="inn", message="INN must have 10 or 12 digits.")


@pytest.mark.parametrize(
    "value",
    [
        "7707083894",  # 10 digits, last one wrong
        "500100732258",  # 12 digits, last one wrong
        "500100732269",  # 12 digits, first check digit wrong
    ],
)
def test_an_inn_with_wrong_check_digits_is_refused(value):
    assert_refused(
        v.clean_inn, value, field="inn",
        message="INN check digits do not match: check the number.",
    )


# --- e-mail -------------------------------------------------------------------------------


def test_an_email_is_trimmed_and_its_domain_lowercased():
    assert v.clean_email("  anna.petrova@Example.COM ") == "anna.petrova@example.com"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_email_is_stored_as_nothing(value):
    assert v.clean_email(value) is None


@pytest.mark.parametrize(
    "value", ["anna", "anna@", "@example.com", "anna@@example.com", "anna petrova@example.com"]
)
def test_a_malformed_email_is_refused(value):
    assert_refused(v.clean_email, value, field="email", message="Not a valid e-mail address.")


def test_the_second_email_of_a_contact_is_named_in_its_refusal(session, make_user):
    contact = Contact(last_name="Петрова", email="anna@example.com", second_email="nope")
    assert_refused(
        records.before_save, session, make_user("Manager"), contact, True,
        field="second_email", message="Not a valid e-mail address.",
    )


# --- phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8 (495) 123-45-67", "+7 495 123-45-67"),
        ("+7 495 1234567", "+7 495 123-45-67"),
        ("84951234567", "+7 495 123-45-67"),
        ("8-916-123-45-67", "+7 916 123-45-67"),
        ("+1 202 555 0101", "+1 202-555-0101"),  # a foreign number keeps its country
    ],
)
def test_a_phone_is_normalised_to_the_international_form(value, expected):
    assert v.clean_phone(value) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_phone_is_stored_as_nothing(value):
    assert v.clean_phone(value) is None


@pytest.mark.parametrize("value", ["call me", "123", "8 (495) 123", "+7 000 000-00-00"])
def test_a_phone_that_cannot_be_dialled_is_refused(value):
    assert_refused(v.clean_phone, value, field="phone", message="Not a valid phone number.")


# --- amount -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 234,5", Decimal("1234.50")),
        ("0", Decimal("0.00")),
        (Decimal("99.999"), Decimal("100.00")),
        (1500, Decimal("1500.00")),
        (None, None),
        ("  ", None),
    ],
)
def test_an_amount_is_kept_with_two_decimals(value, expected):
    assert v.clean_amount(value) == expected


@pytest.mark.parametrize("value", ["-1", Decimal("-0.01"), -500])
def test_a_negative_amount_is_refused(value):
    assert_refused(
        v.clean_amount, value, field="amount", message="The amount cannot be negative."
    )


@pytest.mark.parametrize("value", ["abc", "12 руб.", "NaN", "Infinity", "1,2,3"])
def test_an_amount_that_is_not_a_number_is_refused(value):
    assert_refused(v.clean_amount, value, field="amount", message="The amount must be a number.")


def test_an_amount_too_large_for_the_column_is_refused():
    assert_refused(
        v.clean_amount, "1000000000000", field="amount", message="The amount is too large."
    )


# --- birthday -----------------------------------------------------------------------------


def test_a_birthday_today_or_in_the_past_is_kept():
    assert v.clean_birthday(date(1980, 2, 29)) == date(1980, 2, 29)
    assert v.clean_birthday(date.today()) == date.today()


def test_a_birthday_in_the_future_is_refused():
    assert_refused(
        v.clean_birthday, date.today() + timedelta(days=1), field="birthday",
        message="A birthday cannot be in the future.",
    )


def test_a_birthday_is_judged_against_the_given_day():
    assert v.clean_birthday(date(2000, 1, 2), today=date(2000, 1, 2)) == date(2000, 1, 2)
    assert_refused(
        v.clean_birthday, date(2000, 1, 3), today=date(2000, 1, 2), field="birthday",
        message="A birthday cannot be in the future.",
    )


@pytest.mark.parametrize(
    ("value", "key"),
    [(date(1980, 3, 7), 307), (date(1991, 12, 31), 1231), (date(1975, 1, 1), 101), (None, None)],
)
def test_the_birthday_key_is_month_and_day(value, key):
    assert v.birthday_key(value) == key


# --- companies ----------------------------------------------------------------------------


def test_a_company_is_normalised_before_it_is_saved(session, make_user):
    manager = make_user("Manager")
    company = Company(
        name="  ООО Ромашка ", inn=" 7707083893", phone="8 (495) 123-45-67",
        email="Office@Romashka.RU",
    )
    records.before_save(session, manager, company, is_new=True)
    assert company.name == "ООО Ромашка"
    assert company.inn == "7707083893"
    assert company.phone == "+7 495 123-45-67"
    assert company.email == "Office@romashka.ru"
    assert company.status == "potential"


def test_a_company_needs_a_name(session, make_user):
    assert_refused(
        records.before_save, session, make_user("Manager"), Company(name="   "), True,
        field="name", message="Name: enter the company name.",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"inn": "7707083894"}, "inn", "INN check digits do not match: check the number."),
        ({"email": "office(at)romashka.ru"}, "email", "Not a valid e-mail address."),
        ({"phone": "нет телефона"}, "phone", "Not a valid phone number."),
        ({"status": "sleeping"}, "status", "Status: unknown value."),
    ],
)
def test_a_company_with_a_bad_field_is_refused(session, make_user, fields, field, message):
    company = Company(name="ООО Ромашка", **fields)
    assert_refused(
        records.before_save, session, make_user("Manager"), company, True,
        field=field, message=message,
    )


def test_a_lost_client_needs_a_lost_reason(session, make_user):
    company = Company(name="ООО Ромашка", status="lost", lost_reason="  ")
    assert_refused(
        records.before_save, session, make_user("Manager"), company, True,
        field="lost_reason", message="Lost reason: say why the client was lost.",
    )


def test_a_lost_client_with_a_reason_is_accepted(session, make_user):
    company = Company(name="ООО Ромашка", status="lost", lost_reason=" Ушли к конкуренту ")
    records.before_save(session, make_user("Manager"), company, is_new=True)
    assert company.lost_reason == "Ушли к конкуренту"


def test_a_client_coming_back_forgets_its_lost_reason(session, make_user):
    company = Company(name="ООО Ромашка", status="active", lost_reason="Ушли к конкуренту")
    records.before_save(session, make_user("Manager"), company, is_new=True)
    assert company.lost_reason is None


# --- contacts -----------------------------------------------------------------------------


def test_a_contact_gets_its_birthday_key(session, make_user):
    contact = Contact(last_name="Петрова", birthday=date(1985, 11, 26), mobile_phone="89161234567")
    records.before_save(session, make_user("Manager"), contact, is_new=True)
    assert contact.birthday_key == 1126
    assert contact.mobile_phone == "+7 916 123-45-67"


def test_a_contact_loses_its_birthday_key_with_its_birthday(session, make_user):
    contact = Contact(last_name="Петрова", birthday=None, birthday_key=1126)
    records.before_save(session, make_user("Manager"), contact, is_new=True)
    assert contact.birthday_key is None


def test_a_contact_born_in_the_future_is_refused(session, make_user):
    contact = Contact(last_name="Петрова", birthday=date.today() + timedelta(days=30))
    assert_refused(
        records.before_save, session, make_user("Manager"), contact, True,
        field="birthday", message="A birthday cannot be in the future.",
    )


def test_a_contact_needs_a_last_name(session, make_user):
    assert_refused(
        records.before_save, session, make_user("Manager"), Contact(first_name="Анна"), True,
        field="last_name", message="Last name: enter the person's last name.",
    )


def test_a_contact_with_a_bad_mobile_phone_names_that_field(session, make_user):
    contact = Contact(last_name="Петрова", mobile_phone="12")
    assert_refused(
        records.before_save, session, make_user("Manager"), contact, True,
        field="mobile_phone", message="Not a valid phone number.",
    )


def test_a_lost_private_client_needs_a_lost_reason(session, make_user):
    contact = Contact(last_name="Петрова", status="lost")
    assert_refused(
        records.before_save, session, make_user("Manager"), contact, True,
        field="lost_reason", message="Lost reason: say why the client was lost.",
    )


def test_a_private_client_starts_as_potential(session, make_user):
    contact = Contact(last_name="Петрова")
    records.before_save(session, make_user("Manager"), contact, is_new=True)
    assert contact.status == "potential"


def test_a_contact_person_at_a_company_has_no_client_status(session, make_user, make_company):
    manager = make_user("Manager")
    contact = Contact(
        last_name="Петрова", company=make_company(manager), status="lost", lost_reason="x"
    )
    records.before_save(session, manager, contact, is_new=True)
    assert contact.status is None
    assert contact.lost_reason is None


def test_a_manager_cannot_attach_a_contact_to_another_managers_company(
    session, make_user, make_company
):
    other_company = make_company(make_user("Manager"))
    contact = Contact(last_name="Петрова", company=other_company)
    assert_refused(
        records.before_save, session, make_user("Manager"), contact, True,
        field="company", message="Company: no such company.",
    )


# --- deals --------------------------------------------------------------------------------


def test_a_deal_needs_a_client(session, make_user, stage):
    deal = Deal(title="Поставка", stage=stage("cold"))
    assert_refused(
        records.before_save, session, make_user("Manager"), deal, True,
        field="company", message="Client: choose the company or the private client of the deal.",
    )


def test_a_deal_with_a_private_client_only_is_accepted(session, make_user, make_contact, stage):
    manager = make_user("Manager")
    deal = Deal(title="Ремонт", contact=make_contact(manager), stage=stage("cold"))
    records.before_save(session, manager, deal, is_new=True)
    assert deal.owner_id == manager.id


def test_a_deal_needs_a_title_and_a_stage(session, make_user, make_company, stage):
    manager = make_user("Manager")
    company = make_company(manager)
    assert_refused(
        records.before_save, session, manager, Deal(title=" ", company=company,
                                                     stage=stage("cold")), True,
        field="title", message="Title: enter what the deal is about.",
    )
    assert_refused(
        records.before_save, session, manager, Deal(title="Поставка", company=company), True,
        field="stage", message="Stage: choose a stage of the pipeline.",
    )


def test_the_contact_of_a_deal_must_work_for_the_deals_company(
    session, make_user, make_company, make_contact, stage
):
    manager = make_user("Manager")
    romashka = make_company(manager, "ООО Ромашка")
    vasilek = make_company(manager, "ООО Василёк")
    person = make_contact(manager, "Петрова", company=vasilek)
    deal = Deal(title="Поставка", company=romashka, contact=person, stage=stage("cold"))
    assert_refused(
        records.before_save, session, manager, deal, True,
        field="contact", message="Contact: this person works for another company.",
    )


def test_the_contact_person_at_the_deals_company_is_accepted(
    session, make_user, make_company, make_contact, stage
):
    manager = make_user("Manager")
    romashka = make_company(manager)
    deal = Deal(title="Поставка", company=romashka, contact=make_contact(manager, company=romashka),
                stage=stage("cold"))
    records.before_save(session, manager, deal, is_new=True)
    assert deal.closed_at is None


def test_a_deal_with_a_contact_person_only_is_filed_under_the_persons_company(
    session, make_user, make_company, make_contact, stage
):
    manager = make_user("Manager")
    romashka = make_company(manager)
    deal = Deal(title="Поставка", contact=make_contact(manager, company=romashka),
                stage=stage("cold"))
    try:
        records.before_save(session, manager, deal, is_new=True)
    except ValidationError as error:  # refusing it is as good as filing it
        assert error.field in ("company", "contact")
        return
    assert deal.company is romashka


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-10", "The amount cannot be negative."), ("много", "The amount must be a number.")],
)
def test_a_deal_with_a_bad_amount_is_refused(session, make_user, make_company, stage, amount,
                                             message):
    manager = make_user("Manager")
    deal = Deal(title="Поставка", company=make_company(manager), stage=stage("cold"),
                amount=amount)
    assert_refused(
        records.before_save, session, manager, deal, True, field="amount", message=message
    )


def test_a_deal_has_a_three_letter_currency(session, make_user, make_company, stage):
    manager = make_user("Manager")
    company = make_company(manager)
    deal = Deal(title="Поставка", company=company, stage=stage("cold"), currency=" usd ")
    records.before_save(session, manager, deal, is_new=True)
    assert deal.currency == "USD"
    deal = Deal(title="Поставка", company=company, stage=stage("cold"), currency="рубли")
    assert_refused(
        records.before_save, session, manager, deal, True,
        field="currency", message="Currency: use a three-letter code such as RUB.",
    )


def test_a_lost_deal_needs_a_lost_reason(session, make_user, make_company, stage):
    manager = make_user("Manager")
    deal = Deal(title="Поставка", company=make_company(manager), stage=stage("lost"))
    assert_refused(
        records.before_save, session, manager, deal, True,
        field="lost_reason", message="Lost reason: say why the deal was lost.",
    )


def test_a_lost_deal_with_a_reason_is_closed_now(session, make_user, make_company, stage):
    manager = make_user("Manager")
    deal = Deal(title="Поставка", company=make_company(manager), stage=stage("lost"),
                lost_reason="Дорого")
    before = local_now().replace(microsecond=0)
    records.before_save(session, manager, deal, is_new=True)
    assert deal.closed_at is not None
    assert before <= deal.closed_at <= local_now() + timedelta(seconds=1)


def test_a_won_deal_is_closed_without_a_lost_reason(session, make_user, make_company, stage):
    manager = make_user("Manager")
    deal = Deal(title="Поставка", company=make_company(manager), stage=stage("won"))
    records.before_save(session, manager, deal, is_new=True)
    assert deal.closed_at is not None


def test_a_deal_reopened_is_no_longer_closed(session, make_user, make_company, make_deal, stage):
    manager = make_user("Manager")
    deal = make_deal(manager, company=make_company(manager), stage=stage("lost"),
                     lost_reason="Дорого", closed_at=datetime(2026, 1, 5, 12, 0))
    deal.stage = stage("proposal")
    records.before_save(session, manager, deal, is_new=False)
    assert deal.closed_at is None
    assert deal.lost_reason is None


# --- tasks --------------------------------------------------------------------------------


def _task(**fields) -> Task:
    values = {"subject": "Позвонить", "type": "call", "state": "planned",
              "due_at": local_now() + timedelta(days=30)}
    values.update(fields)
    return Task(**values)


def test_a_task_must_link_to_a_company_a_contact_or_a_deal(session, make_user):
    assert_refused(
        records.before_save, session, make_user("Manager"), _task(), True,
        field="company", message="Link the task to a company, a contact or a deal.",
    )


@pytest.mark.parametrize("link", ["company", "contact", "deal"])
def test_a_task_linked_to_any_one_record_is_accepted(
    session, make_user, make_company, make_contact, make_deal, link
):
    manager = make_user("Manager")
    company = make_company(manager)
    linked = {
        "company": company,
        "contact": make_contact(manager),
        "deal": make_deal(manager, company=company),
    }[link]
    task = _task(**{link: linked})
    records.before_save(session, manager, task, is_new=True)
    assert task.owner_id == manager.id


def test_a_task_on_a_deal_is_also_filed_under_the_deals_client(
    session, make_user, make_company, make_deal
):
    manager = make_user("Manager")
    company = make_company(manager)
    task = _task(deal=make_deal(manager, company=company))
    records.before_save(session, manager, task, is_new=True)
    assert task.company is company


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"subject": ""}, "subject", "Subject: say what to do."),
        ({"due_at": None}, "due_at", "Due: set the date and time."),
        ({"type": "fax"}, "type", "Type: unknown value."),
        ({"state": "maybe"}, "state", "State: unknown value."),
        ({"state": "done", "result": " "}, "result", "Result: write what happened."),
    ],
)
def test_a_task_with_a_bad_field_is_refused(session, make_user, make_company, fields, field,
                                            message):
    manager = make_user("Manager")
    task = _task(company=make_company(manager), **fields)
    assert_refused(
        records.before_save, session, manager, task, True, field=field, message=message
    )


def test_a_done_task_keeps_its_result_and_gets_its_done_time(session, make_user, make_company):
    manager = make_user("Manager")
    task = _task(company=make_company(manager), state="done", result=" Договорились о встрече ")
    records.before_save(session, manager, task, is_new=True)
    assert task.result == "Договорились о встрече"
    assert task.done_at is not None


def test_a_manager_cannot_link_a_task_to_another_managers_deal(
    session, make_user, make_company, make_deal
):
    other = make_user("Manager")
    deal = make_deal(other, company=make_company(other))
    assert_refused(
        records.before_save, session, make_user("Manager"), _task(deal=deal), True,
        field="deal", message="Deal: no such deal.",
    )


# --- ownership ----------------------------------------------------------------------------


def test_a_new_record_belongs_to_its_creator(session, make_user):
    manager = make_user("Manager")
    company = Company(name="ООО Ромашка")
    records.before_save(session, manager, company, is_new=True)
    assert company.owner_id == manager.id
    assert company.created_by_id == manager.id
    assert company.changed_by_id == manager.id


def test_a_manager_cannot_make_someone_else_the_owner_of_a_new_record(session, make_user):
    colleague = make_user("Manager")
    company = Company(name="ООО Ромашка", owner_id=colleague.id)
    assert_refused(
        records.before_save, session, make_user("Manager"), company, True,
        field="owner", message="Owner: only the head of sales can assign records.",
    )


def test_a_manager_cannot_hand_his_record_to_someone_else(session, make_user, make_company):
    manager = make_user("Manager")
    colleague = make_user("Manager")
    company, colleague, manager = reloaded(session, make_company(manager), colleague, manager)
    company.owner = colleague
    assert_refused(
        records.before_save, session, manager, company, False,
        field="owner", message="Owner: only the head of sales can assign records.",
    )



def test_a_manager_cannot_hand_a_contact_to_someone_else(
    session, make_user, make_company, make_contact
):
    manager = make_user("Manager")
    colleague = make_user("Manager")
    contact, colleague, manager = reloaded(
        session, make_contact(manager, company=make_company(manager)), colleague, manager
    )
    contact.owner = colleague  # the check then loads contact.company: an autoflush
    assert_refused(
        records.before_save, session, manager, contact, False,
        field="owner", message="Owner: only the head of sales can assign records.",
    )


def test_a_manager_cannot_give_away_a_record_by_its_owner_id(session, make_user, make_company):
    manager = make_user("Manager")
    colleague = make_user("Manager")
    company, colleague, manager = reloaded(session, make_company(manager), colleague, manager)
    company.owner_id = colleague.id  # as an import or the API sets it
    assert_refused(
        records.before_save, session, manager, company, False,
        field="owner", message="Owner: only the head of sales can assign records.",
    )


def test_a_manager_cannot_give_away_a_just_saved_record(session, make_user, make_company):
    manager = make_user("Manager")
    colleague = make_user("Manager")
    company = make_company(manager)  # committed: its attributes are expired
    company.owner_id = colleague.id
    assert_refused(
        records.before_save, session, manager, company, False,
        field="owner", message="Owner: only the head of sales can assign records.",
    )


def test_a_manager_may_edit_his_own_record(session, make_user, make_company):
    manager = make_user("Manager")
    company = make_company(manager)
    company.phone = "8 495 123 45 67"
    records.before_save(session, manager, company, is_new=False)
    assert company.owner_id == manager.id
    assert company.phone == "+7 495 123-45-67"


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_the_head_and_the_admin_assign_owners(session, make_user, make_company, role):
    boss = make_user(role)
    manager = make_user("Manager")
    new = Company(name="ООО Ромашка", owner_id=manager.id)
    records.before_save(session, boss, new, is_new=True)
    assert new.owner_id == manager.id
    assert new.created_by_id == boss.id
    successor = make_user("Manager")
    existing, successor, boss = reloaded(
        session, make_company(manager, "ООО Василёк"), successor, boss
    )
    existing.owner = successor
    records.before_save(session, boss, existing, is_new=False)
    assert existing.owner is successor
    assert existing.changed_by_id == boss.id


def test_an_inactive_owner_is_refused(session, make_user):
    gone = make_user("Manager", active=False)
    company = Company(name="ООО Ромашка", owner_id=gone.id)
    assert_refused(
        records.before_save, session, make_user("Head"), company, True,
        field="owner", message="Owner: this user is not active.",
    )


def test_an_inactive_owner_is_refused_when_reassigning(session, make_user, make_company):
    gone = make_user("Manager", active=False)
    head = make_user("Head")
    company, gone, head = reloaded(session, make_company(make_user("Manager")), gone, head)
    company.owner = gone
    assert_refused(
        records.before_save, session, head, company, False,
        field="owner", message="Owner: this user is not active.",
    )


def test_an_inactive_owner_of_a_contact_is_refused_when_reassigning(
    session, make_user, make_company, make_contact
):
    manager = make_user("Manager")
    gone = make_user("Manager", active=False)
    head = make_user("Head")
    contact, gone, head = reloaded(
        session, make_contact(manager, company=make_company(manager)), gone, head
    )
    contact.owner = gone
    assert_refused(
        records.before_save, session, head, contact, False,
        field="owner", message="Owner: this user is not active.",
    )


def test_an_unknown_owner_is_refused(session, make_user):
    company = Company(name="ООО Ромашка", owner_id=987654)
    assert_refused(
        records.before_save, session, make_user("Head"), company, True,
        field="owner", message="Owner: this user is not active.",
    )


# --- language of the messages -------------------------------------------------------------


def test_a_refusal_message_follows_the_users_language(app, session, make_user):
    """The message is translated when shown, not when raised: the same error reads in each
    language, Russian by default."""
    inn_error = refusal(v.clean_inn, "123")
    task_error = refusal(records.before_save, session, make_user("Manager"), _task(), True)
    with app.test_request_context("/"):
        russian = (str(inn_error), str(task_error))
    refresh()  # the test shares one app context, where the chosen locale is cached
    with app.test_request_context("/?_l_=en"):
        assert str(inn_error) == "INN must have 10 or 12 digits."
        assert str(task_error) == "Link the task to a company, a contact or a deal."
    require("the compiled Russian catalogue", russian[0] != "INN must have 10 or 12 digits.",
            "make translations")
    assert "ИНН" in russian[0] and "10" in russian[0]
    assert "задач" in russian[1]
