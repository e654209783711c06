"""The inbox read: a user's items, the counter, one item, and the clients an item matches.

Matching compares the item's phone (normalised with phonenumbers, region RU), e-mail and
INN with those of companies and contacts. `matching_clients` is the one place that knows
how clients store them: when companies and contacts get their normalised columns
(phone_e164, email_normalized), only it changes.
"""

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.models import Company, Contact, InboxItem, Task
from app.models.enums import TaskState
from app.models.inbox_item import InboxState
from app.services.rules.search_keys import email_key, phone_e164
from app.services.rules.validation import MAX_ID
from app.services.rules.visibility import can_see, sees_everything

PAGE = 50
# The counter stops here: "99+" is as telling as an exact number, and stays cheap.
COUNT_CAP = 99


def normal_phone(value: str | None) -> str | None:
    """Return a phone as clients store it (+7 495 123-45-67), or None if it is no number."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normal_email(value: str | None) -> str | None:
    """Return an e-mail address folded for comparison, or None."""
    text = (value or "").strip().lower()
    return text or None


@dataclass(frozen=True)
class Key:
    """What an item can be recognised by."""

    phone: str | None = None
    email: str | None = None
    inn: str | None = None


def key_of(item: InboxItem) -> Key:
    return Key(normal_phone(item.phone), normal_email(item.email), (item.inn or None))


def matching_clients(session: Session, keys: list[Key]) -> dict[Key, list]:
    """Return, for each key, the live (not archived) clients sharing its phone, e-mail or INN.

    Two queries whatever the number of keys: one for companies, one for contacts (a
    contact person stands for their company), each through the indexed normalised keys
    every save keeps (app/services/rules/search_keys.py). Nobody's visibility is applied.
    """
    phones = {phone_e164(key.phone) for key in keys} - {None}
    emails = {email_key(key.email) for key in keys} - {None}
    inns = {key.inn for key in keys if key.inn}
    found: dict[Key, list] = {key: [] for key in keys}
    if not (phones or emails or inns):
        return found
    companies = session.scalars(select(Company).where(
        Company.archived == false(),
        or_(Company.phone_e164.in_(phones), Company.email_key.in_(emails),
            Company.inn.in_(inns)),
    ).options(selectinload(Company.owner))).all()
    contacts = session.scalars(select(Contact).where(
        Contact.archived == false(),
        or_(Contact.phone_e164.in_(phones), Contact.mobile_phone_e164.in_(phones),
            Contact.email_key.in_(emails), Contact.second_email_key.in_(emails)),
    ).options(selectinload(Contact.owner), selectinload(Contact.company))).all()
    for key in keys:
        matched: list = []
        for company in companies:
            if _company_matches(company, key):
                matched.append(company)
        for contact in contacts:
            client = contact.company if contact.company is not None else contact
            if _contact_matches(contact, key) and client not in matched and not client.archived:
                matched.append(client)
        found[key] = matched
    return found


def _company_matches(company: Company, key: Key) -> bool:
    phone, email = phone_e164(key.phone), email_key(key.email)
    return bool((phone and company.phone_e164 == phone)
                or (email and company.email_key == email)
                or (key.inn and company.inn == key.inn))


def _contact_matches(contact: Contact, key: Key) -> bool:
    phone, email = phone_e164(key.phone), email_key(key.email)
    return bool((phone and phone in (contact.phone_e164, contact.mobile_phone_e164))
                or (email and email in (contact.email_key, contact.second_email_key)))


@dataclass(frozen=True)
class Match:
    """A client an item matches, as the viewer may know it: the record, or only its owner."""

    kind: str  # company or contact
    client: Company | Contact | None  # None when the viewer may not see it
    owner: str


def matches_for(session: Session, viewer, items: list[InboxItem]) -> dict[int, list[Match]]:
    """Return {item id: matches}; a client the viewer may not see says only whose it is."""
    keys = {item.id: key_of(item) for item in items}
    found = matching_clients(session, list(set(keys.values())))
    result = {}
    for item_id, key in keys.items():
        result[item_id] = [
            Match("company" if isinstance(client, Company) else "contact",
                  client if can_see(client, viewer) else None, _name(client.owner))
            for client in found.get(key, [])
        ]
    return result


def _name(user) -> str:
    if user is None:
        return ""
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


def scoped(statement, user, own_id=None):
    """Restrict a select of inbox items to those the user may see (own for a manager).

    `own_id` stands for the user's id (a bound parameter of a statement built once).
    """
    if sees_everything(user):
        return statement
    return statement.where(InboxItem.owner_id == (getattr(user, "id", None)
                                                  if own_id is None else own_id))


def items(session: Session, user, state: str | None = InboxState.NEW.value,
          limit: int = PAGE, offset: int = 0, owner_id: int | None = None) -> list[InboxItem]:
    """Return a page of the user's items of a state (all states with None), newest first.

    `owner_id` narrows the head's view to one manager's items (a manager sees own anyway).
    """
    statement = scoped(select(InboxItem), user)
    if state is not None:
        statement = statement.where(InboxItem.state == state)
    if owner_id is not None:
        statement = statement.where(InboxItem.owner_id == owner_id)
    statement = (statement.order_by(InboxItem.received_at.desc(), InboxItem.id.desc())
                 .limit(limit).offset(offset)
                 .options(selectinload(InboxItem.owner), selectinload(InboxItem.company),
                          selectinload(InboxItem.contact)))
    return list(session.scalars(statement))


def new_count_query(user, cap=COUNT_CAP + 1, own_id=None):
    """Return the count of the user's new items, up to `cap`, as a scalar subquery.

    `cap` and `own_id` (the user's id) may be bound parameters (the menu bar's counts).
    """
    ids = scoped(select(InboxItem.id).where(InboxItem.state == InboxState.NEW.value),
                 user, own_id).limit(cap)
    return select(func.count()).select_from(ids.subquery()).scalar_subquery()


def new_count(session: Session, user, cap: int = COUNT_CAP + 1) -> int:
    """Count the user's new items (every new item for the head), up to `cap`."""
    return session.scalar(select(new_count_query(user, cap))) or 0


def get(session: Session, user, item_id) -> InboxItem | None:
    """Return the item when it exists and the user may see it, else None."""
    try:
        number = int(item_id)
    except (TypeError, ValueError):
        return None
    item = session.get(InboxItem, number) if 0 < number <= MAX_ID else None
    if item is None:
        return None
    if not sees_everything(user) and item.owner_id != getattr(user, "id", None):
        return None
    return item


def answer_task(session: Session, item: InboxItem):
    """Return the item's planned answer task, if it has one."""
    return session.scalar(select(Task).where(
        Task.inbox_item_id == item.id, Task.state == TaskState.PLANNED.value,
        Task.archived == false()).order_by(Task.id).limit(1))


def waiting_by_owner(session: Session) -> dict[int, int]:
    """Count everyone's new (undecided) items per owner, in one query (the team day)."""
    statement = (select(InboxItem.owner_id, func.count())
                 .where(InboxItem.state == InboxState.NEW.value)
                 .group_by(InboxItem.owner_id))
    return dict(session.execute(statement).all())
