"""Leads that arrive by themselves: receive, assign, accept, link, decline, reassign.

Every incoming event (a website form, a call) is stored as an inbox item with an owner
and, while it waits, exactly one planned "answer" task due within minutes, so that it
shows in My day, the digest and the calendar feed. Deciding the item closes that task:
accepting or linking marks it done with its result, declining cancels it with the reason.

Who acts: a user for accept, link, decline and reassign; the public form and the
telephony webhook act as `visibility.SYSTEM`, whose writes carry no author.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Company, Contact, InboxItem, IntakeTurn, Task, User, UserProfile
from app.models.enums import TaskState, TaskType
from app.models.inbox_item import (
    DeclineReason,
    InboxSource,
    InboxState,
    answer_seconds,
    inbox_label,
)
from app.models.intake_turn import LEADS
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.queries import inbox as inbox_queries
from app.services.rules import first_call, followup, records
from app.services.rules import validation as v
from app.services.rules.history import set_actor
from app.services.rules.kinds import kind_of
from app.services.rules.visibility import SYSTEM, can_see, sees_everything

DEFAULT_ANSWER_MINUTES = 15
LEAD_ROLE = "Manager"
# Who gets a lead when no manager takes new ones, in this order.
FALLBACK_ROLES = ("Head", "Admin")


@dataclass
class Lead:
    """What a website form (or, later, an e-mail) brought."""

    source: str = InboxSource.FORM.value
    name: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None
    inn: str | None = None
    message: str | None = None
    details: dict = field(default_factory=dict)
    external_id: str | None = None


@dataclass
class CallEvent:
    """What the telephony provider reports about one call."""

    call_id: str
    from_number: str | None = None
    to_number: str | None = None
    direction: str = "in"
    status: str = "answered"
    started_at: datetime | None = None
    duration: int = 0
    recording_url: str | None = None


# --- assignment -------------------------------------------------------------------------


def _hold(session: Session, model, column, value) -> None:
    """Lock one row until the transaction ends (PostgreSQL: the row; SQLite: the database)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(column == value).values({column.key: column}))
    else:
        session.execute(select(column).where(column == value).with_for_update())


def _takers(session: Session, role: str) -> list[int]:
    """Return the ids of active users of the role who take new leads, in id order."""
    statement = (select(User.id).join(User.roles).where(Role.name == role, User.active.is_(True))
                 .outerjoin(UserProfile, UserProfile.user_id == User.id)
                 .order_by(User.id))
    if role == LEAD_ROLE:
        statement = statement.where(UserProfile.takes_leads.is_not(False))
    return list(session.scalars(statement))


def next_in_turn(session: Session) -> int:
    """Return the manager who gets the next new lead, and remember the turn.

    Round robin over active managers who take new leads. The turn's row stays locked
    until the caller's transaction ends, so two leads arriving at once go to two managers.

    :raise DomainError: if there is no active user at all to give the lead to.
    """
    _hold(session, IntakeTurn, IntakeTurn.name, LEADS)
    turn = session.get(IntakeTurn, LEADS, populate_existing=True)
    if turn is None:
        turn = IntakeTurn(name=LEADS)
        session.add(turn)
    takers = _takers(session, LEAD_ROLE)
    for role in FALLBACK_ROLES:
        if takers:
            break
        takers = _takers(session, role)
    if not takers:
        raise DomainError(_l("Nobody can take the lead: there is no active manager."))
    later = [user_id for user_id in takers if user_id > (turn.last_user_id or 0)]
    chosen = later[0] if later else takers[0]
    turn.last_user_id = chosen
    return chosen


def _owner_of_match(session: Session, matches: list) -> int | None:
    """Return the owner of the first matched client, if that user is still active."""
    for client in matches:
        owner = session.get(User, client.owner_id)
        if owner is not None and owner.active:
            return owner.id
    return None


def _answer_task(session: Session, item: InboxItem, subject: str, due_at: datetime,
                 task_type: str, client=None) -> Task:
    """Plan the task that answers the item, for the item's owner (linked to a client too)."""
    links = followup.links_for(client) if client is not None else {}
    task = Task(type=task_type, subject=subject[:255], due_at=due_at,
                state=TaskState.PLANNED.value, owner_id=item.owner_id, inbox_item=item,
                **links)
    records.before_save(session, SYSTEM, task, is_new=True)
    session.add(task)
    return task


def _existing(session: Session, source: str, external_id: str | None) -> InboxItem | None:
    if not external_id:
        return None
    return session.scalar(select(InboxItem).where(InboxItem.source == source,
                                                  InboxItem.external_id == external_id))


def _stored_once(session: Session, source: str, external_id: str | None, write):
    """Run `write` and commit; a repeated external id gives back the first item instead."""
    try:
        item = write()
        session.commit()
        return item, True
    except IntegrityError:
        session.rollback()
        item = _existing(session, source, external_id)
        if item is None:
            raise
        return item, False
    except Exception:
        session.rollback()
        raise


def _who(lead_name: str | None, company: str | None, phone: str | None,
         email: str | None) -> str:
    return ", ".join(part for part in (lead_name, company, phone, email) if part)


# --- receiving --------------------------------------------------------------------------


def _checked_lead(lead: Lead) -> Lead:
    """Return the lead with its contact details cleaned.

    :raise ValidationError: naming `phone` when there is neither phone nor e-mail, or
        `email` when the address is not one.
    """
    phone = (lead.phone or "").strip() or None
    email = v.clean_email(lead.email) if (lead.email or "").strip() else None
    if phone is None and email is None:
        raise ValidationError(_l("Phone or e-mail: give at least one way to answer you."),
                              "phone")
    lead.phone = inbox_queries.normal_phone(phone) or (phone[:32] if phone else None)
    lead.email = email
    return lead


def receive(session: Session, actor, lead: Lead, *,
            answer_minutes: int = DEFAULT_ANSWER_MINUTES) -> InboxItem:
    """Store a lead as a new inbox item with its owner and its answer task, and commit.

    The owner is the matched client's owner, else the next manager in turn.

    :raise ValidationError: naming the field when the lead has no way to answer it.
    """
    lead = _checked_lead(lead)
    existing = _existing(session, lead.source, lead.external_id)
    if existing is not None:
        return existing
    set_actor(session, actor)

    def write() -> InboxItem:
        key = inbox_queries.Key(lead.phone and inbox_queries.normal_phone(lead.phone),
                                inbox_queries.normal_email(lead.email), lead.inn or None)
        matches = inbox_queries.matching_clients(session, [key])[key]
        owner_id = _owner_of_match(session, matches) or next_in_turn(session)
        now = local_now()
        item = InboxItem(source=lead.source, external_id=lead.external_id,
                         state=InboxState.NEW.value, received_at=now, owner_id=owner_id,
                         name=lead.name, company_name=lead.company, phone=lead.phone,
                         email=lead.email, inn=lead.inn, message=lead.message,
                         details=lead.details or None)
        session.add(item)
        who = _who(lead.name, lead.company, lead.phone, lead.email)
        _answer_task(session, item, str(_l("Answer the lead: %(who)s", who=who)),
                     now + timedelta(minutes=answer_minutes),
                     TaskType.CALL.value if lead.phone else TaskType.EMAIL.value)
        return item

    item, _ = _stored_once(session, lead.source, lead.external_id, write)
    return item


def duration_text(seconds: int) -> str:
    """Return a call's length in words: 2 min 05 s."""
    minutes, rest = divmod(max(int(seconds or 0), 0), 60)
    return str(_l("%(minutes)s min %(seconds)02d s", minutes=minutes, seconds=rest))


def _call_subject(event: CallEvent, number: str, known: bool) -> str:
    if event.status == "missed":
        return str(_l("Call back %(number)s: missed call", number=number))
    if known:
        # A planned task, not a done one: completing it is exactly writing the result and
        # planning the next (the complete dialog, one door), and until then the call
        # waits in My day instead of sitting in the feed with no result.
        return str(_l("Write the result of the call from %(number)s, %(duration)s",
                      number=number, duration=duration_text(event.duration)))
    return str(_l("Answer the lead: call from %(number)s", number=number))


def receive_call(session: Session, actor, event: CallEvent, *,
                 answer_minutes: int = DEFAULT_ANSWER_MINUTES) -> tuple[InboxItem, bool]:
    """Store a call once (by its id); return the item and whether it is new.

    A call from a known number is linked to that client at once and gives its owner a
    task due now (write the result, or call back a missed call); an unknown number
    becomes a new inbox item with its answer task.
    """
    existing = _existing(session, InboxSource.CALL.value, event.call_id)
    if existing is not None:
        return existing, False
    set_actor(session, actor)
    raw = event.from_number if event.direction == "in" else event.to_number
    number = inbox_queries.normal_phone(raw) or (raw or "").strip()[:32] or None

    def write() -> InboxItem:
        key = inbox_queries.Key(phone=inbox_queries.normal_phone(raw))
        matches = inbox_queries.matching_clients(session, [key])[key]
        owner_id = _owner_of_match(session, matches)
        client = matches[0] if owner_id is not None else None
        now = local_now()
        item = InboxItem(source=InboxSource.CALL.value, external_id=event.call_id,
                         received_at=now, phone=number, details=_call_details(event),
                         owner_id=owner_id or next_in_turn(session))
        if client is not None:
            item.state = InboxState.LINKED.value
            item.decided_at = now
            _link_item(item, client)
        else:
            item.state = InboxState.NEW.value
        session.add(item)
        due = now if client is not None or event.status == "missed" else (
            now + timedelta(minutes=answer_minutes))
        _answer_task(session, item, _call_subject(event, number or "?", client is not None),
                     due, TaskType.CALL.value, client=client)
        return item

    return _stored_once(session, InboxSource.CALL.value, event.call_id, write)


@dataclass
class Letter:
    """What an e-mail to the sales mailbox brought: sender, subject, their own words."""

    message_id: str
    sender_name: str | None = None
    sender_email: str | None = None
    subject: str | None = None
    text: str | None = None
    sent_at: datetime | None = None
    attachments: int = 0


def _letter_details(letter: Letter) -> dict:
    return {"subject": letter.subject or None, "attachments": letter.attachments or None,
            "sent_at": letter.sent_at.isoformat() if letter.sent_at else None}


def receive_mail(session: Session, actor, letter: Letter, *,
                 answer_minutes: int = DEFAULT_ANSWER_MINUTES) -> tuple[InboxItem, bool]:
    """Store a letter once (by its Message-ID); return the item and whether it is new.

    A letter from a known client's address is linked to that client at once and gives
    its owner a task to answer it, with the letter on the client's feed; an unknown
    sender becomes a new inbox item with its answer task.
    """
    existing = _existing(session, InboxSource.EMAIL.value, letter.message_id)
    if existing is not None:
        return existing, False
    set_actor(session, actor)
    address = inbox_queries.normal_email(letter.sender_email)

    def write() -> InboxItem:
        key = inbox_queries.Key(email=address)
        matches = inbox_queries.matching_clients(session, [key])[key]
        owner_id = _owner_of_match(session, matches)
        client = matches[0] if owner_id is not None else None
        now = local_now()
        item = InboxItem(source=InboxSource.EMAIL.value, external_id=letter.message_id,
                         received_at=now, name=(letter.sender_name or None), email=address,
                         message=letter.text or None, details=_letter_details(letter),
                         owner_id=owner_id or next_in_turn(session))
        if client is not None:
            item.state = InboxState.LINKED.value
            item.decided_at = now
            _link_item(item, client)
        else:
            item.state = InboxState.NEW.value
        session.add(item)
        who = letter.sender_name or address or "?"
        subject = str(_l("Answer the e-mail from %(who)s: %(subject)s", who=who,
                         subject=letter.subject or "—"))
        task = _answer_task(session, item, subject, now + timedelta(minutes=answer_minutes),
                            TaskType.EMAIL.value, client=client)
        # The letter itself travels with the task: the card's feed and My day show it.
        task.notes = letter.text or None
        return item

    return _stored_once(session, InboxSource.EMAIL.value, letter.message_id, write)


def _call_details(event: CallEvent) -> dict:
    return {"from": event.from_number, "to": event.to_number, "direction": event.direction,
            "status": event.status, "duration": event.duration,
            "started_at": event.started_at.isoformat() if event.started_at else None,
            "recording_url": event.recording_url}


def _link_item(item: InboxItem, client) -> None:
    links = kind_of(client).task_links(client)
    item.company, item.contact = links["company"], links["contact"]


# --- deciding ---------------------------------------------------------------------------


def _undecided(session: Session, actor, item: InboxItem) -> Task:
    """Lock the item, re-read it, and return its answer task.

    :raise NotFound: if the actor may not see the item.
    :raise DomainError: if the item was decided meanwhile.
    """
    if item is None or not (sees_everything(actor) or item.owner_id == getattr(actor, "id", 0)):
        raise NotFound(_l("Inbox: no such item."))
    _hold(session, InboxItem, InboxItem.id, item.id)
    session.refresh(item)
    if item.state != InboxState.NEW.value:
        raise DomainError(_l("This lead has already been decided."))
    task = inbox_queries.answer_task(session, item)
    if task is None:
        # Legacy or hand-edited data: decide the item all the same, with a task to close.
        task = Task(type=TaskType.CALL.value, subject=str(_l("Answer the lead")),
                    due_at=local_now(), state=TaskState.PLANNED.value,
                    owner_id=item.owner_id, inbox_item=item)
        session.add(task)
    return task


def _decided(item: InboxItem, actor, state: str) -> None:
    now = local_now()
    item.state = state
    item.decided_at = now
    item.decided_by_id = getattr(actor, "id", None)
    if state != InboxState.DECLINED.value and item.answered_at is None:
        item.answered_at = now
        item.answer_seconds = answer_seconds(item.received_at, now)


def _summary(item: InboxItem) -> str:
    text = (item.message or "").strip()
    who = _who(item.name, item.company_name, item.phone, item.email)
    return str(_l("Lead from the inbox (%(who)s): %(message)s", who=who, message=text or "—"))


def accept(session: Session, actor, item: InboxItem,
           call: first_call.FirstCall) -> first_call.Registered:
    """Make the item a new client with its contact, deal and first task, or nothing.

    The item's answer task becomes the done call of the new client.

    :raise NotFound: if the actor may not see the item.
    :raise ValidationError: naming the part and field at fault, as the first-call screen.
    :raise DomainError: if the item was decided meanwhile.
    """
    set_actor(session, actor)
    try:
        task = _undecided(session, actor, item)
        if not (call.call_result or "").strip():
            call.call_result = _summary(item)
        made = first_call.write_first_call(session, actor, call, call_task=task)
        item.company_id = made.company.id if made.company is not None else None
        item.contact_id = made.contact.id if made.contact is not None else None
        _decided(item, actor, InboxState.ACCEPTED.value)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return made


def find_client(session: Session, actor, kind: str, client_id) -> Company | Contact:
    """Return the company or private client the actor may see.

    :raise ValidationError: naming `client` if there is no such client for the actor.
    """
    model = {"company": Company, "contact": Contact}.get(kind)
    try:
        number = int(client_id)
    except (TypeError, ValueError):
        number = 0
    client = session.get(model, number) if model is not None and 0 < number <= v.MAX_ID \
        else None
    # A company's contact person is not a client of their own: the company is.
    if client is None or not can_see(client, actor) or (
            getattr(client, "company_id", None) is not None):
        raise ValidationError(_l("Client: no such client."), "client")
    return client


def link(session: Session, actor, item: InboxItem, client,
         next_task: followup.NextTask) -> Task:
    """Join the item to an existing client: the message goes to its feed, its owner gets a task.

    The answer task is done with the message as its result, on the client's feed; the
    client's owner gets `next_task` (linked to the client and the item).

    :raise NotFound: if the actor may not see the item.
    :raise ValidationError: if the client is not the actor's to see or the task is invalid.
    :raise DomainError: if the item was decided meanwhile.
    """
    set_actor(session, actor)
    try:
        task = _undecided(session, actor, item)
        if client is None or not can_see(client, actor):
            raise ValidationError(_l("Client: no such client."), "client")
        followup.lock(session, [client])
        for key, value in followup.links_for(client).items():
            setattr(task, key, value)
        task.state = TaskState.DONE.value
        task.result = _summary(item)
        task.done_at = local_now()
        records.before_save(session, actor, task, is_new=False)
        planned = followup.build_task(actor, next_task, owner_id=client.owner_id,
                                      **followup.links_for(client))
        planned.inbox_item = item
        records.before_save(session, actor, planned, is_new=True)
        session.add(planned)
        item.owner_id = client.owner_id
        _link_item(item, client)
        _decided(item, actor, InboxState.LINKED.value)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return planned


def decline(session: Session, actor, item: InboxItem, reason: str,
            text: str | None = None) -> None:
    """Decline the item with a reason; its answer task is cancelled with that reason.

    :raise NotFound: if the actor may not see the item.
    :raise ValidationError: naming `reason` (unknown, or "other" without a text).
    :raise DomainError: if the item was decided meanwhile.
    """
    if reason not in [member.value for member in DeclineReason]:
        raise ValidationError(_l("Reason: choose why the lead is declined."), "reason")
    text = (text or "").strip() or None
    if reason == DeclineReason.OTHER.value and not text:
        raise ValidationError(_l("Reason: say why the lead is declined."), "reason")
    if text and len(text) > 500:
        raise ValidationError(_l("Reason: at most 500 characters."), "reason")
    set_actor(session, actor)
    try:
        task = _undecided(session, actor, item)
        task.state = TaskState.CANCELLED.value
        task.result = text or inbox_label(DeclineReason, reason)
        task.done_at = local_now()
        records.before_save(session, actor, task, is_new=False)
        item.decline_reason = reason
        item.decline_text = text
        _decided(item, actor, InboxState.DECLINED.value)
        session.commit()
    except Exception:
        session.rollback()
        raise


def reassign(session: Session, actor, item: InboxItem, owner_id) -> None:
    """Give a new item (and its answer task) to another manager: Head and Admin only.

    :raise NotFound: if the actor may not see the item.
    :raise ValidationError: naming `owner` if the actor may not assign or the user is inactive.
    """
    if not sees_everything(actor):
        raise ValidationError(_l("Owner: only the head of sales can assign records."), "owner")
    set_actor(session, actor)
    try:
        task = _undecided(session, actor, item)
        try:
            owner = session.get(User, int(owner_id)) if 0 < int(owner_id) <= v.MAX_ID else None
        except (TypeError, ValueError):
            owner = None
        if owner is None or not owner.active:
            raise ValidationError(_l("Owner: this user is not active."), "owner")
        item.owner_id = owner.id
        task.owner_id = owner.id
        records.before_save(session, actor, task, is_new=False)
        session.commit()
    except Exception:
        session.rollback()
        raise
