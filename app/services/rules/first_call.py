"""A new client from a call: client, contact person, deal, the call and the next task at once.

One transaction through the same per-record checks as every other screen
(`saving.save_record`) and the same first-task rule (`followup.attach_first_task`);
errors name their part of the screen: `client.inn`, `contact.email`, `deal.stage`...
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Stage, Task
from app.models.enums import TaskState, TaskType
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.rules import followup, saving
from app.services.rules.history import set_actor

COMPANY = "company"
PERSON = "person"
KINDS = (COMPANY, PERSON)
# Refusals about the whole client (its owner) are not about one part of the screen.
WHOLE_FORM_FIELDS = frozenset({"owner"})
# The follow-up rules name the fields of the complete dialog; here they are next_task's.
NEXT_TASK_FIELDS = {"next_subject": "subject", "next_due_at": "due_at", "next_type": "type"}


@dataclass
class ClientPart:
    """The company: name, phone, e-mail, INN (unused for a private person)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    inn: str | None = None


@dataclass
class PersonPart:
    """The contact person, or the private client themselves."""

    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    position: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: date | None = None

    def is_empty(self) -> bool:
        """Tell whether nothing at all was filled in."""
        return not any((value or "") if not isinstance(value, date) else value
                       for value in vars(self).values())


@dataclass
class DealPart:
    """The optional deal: a title makes one."""

    title: str | None = None
    amount: Decimal | str | None = None
    stage_id: int | None = None


@dataclass
class FirstCall:
    """Everything the manager typed on the one screen."""

    kind: str = COMPANY
    client: ClientPart = field(default_factory=ClientPart)
    contact: PersonPart = field(default_factory=PersonPart)
    deal: DealPart = field(default_factory=DealPart)
    call_result: str | None = None
    next_task: followup.NextTask = field(default_factory=followup.NextTask)
    owner_id: int | None = None
    # The manager saw the matching clients and said "save anyway".
    allow_duplicate: bool = False


@dataclass
class Registered:
    """What was written: the client (company or private contact) and the rest."""

    client: Company | Contact
    company: Company | None
    contact: Contact | None
    deal: Deal | None
    call: Task
    next_task: Task


def _checked(session: Session, actor, part: str, record, *, is_new: bool = True,
             allow_duplicate: bool = False) -> None:
    """Run the record's usual checks, naming the part of the screen in a refusal.

    :raise ValidationError: with the field as `part.field` (or `owner`).
    :raise DuplicateFound: if the client or contact may be a duplicate (not allowed).
    """
    try:
        saving.save_record(session, actor, record, is_new=is_new, next_task=None,
                           require_cover=False, allow_duplicate=allow_duplicate)
    except ValidationError as error:
        raise _in_part(part, error) from error


def _in_part(part: str, error: ValidationError, names: dict | None = None) -> ValidationError:
    """Return the refusal with its field named within the part (`contact.email`)."""
    if error.field in WHOLE_FORM_FIELDS:
        return error
    name = (names or {}).get(error.field, error.field)
    return ValidationError(error.message, f"{part}.{name}")


def open_stages(session: Session) -> list[Stage]:
    """Return the stages a new deal may start in, in pipeline order."""
    query = select(Stage).where(Stage.is_open).order_by(Stage.position)
    return list(session.scalars(query))


def _stage(session: Session, stage_id: int | None) -> Stage:
    stages = open_stages(session)
    if stage_id is None and stages:
        return stages[0]
    chosen = next((stage for stage in stages if stage.id == stage_id), None)
    if chosen is None:
        raise ValidationError(_l("Stage: a new deal starts in an open stage."), "deal.stage")
    return chosen


def _company(call: FirstCall) -> Company:
    part = call.client
    return Company(name=part.name, phone=part.phone, email=part.email, inn=part.inn,
                   owner_id=call.owner_id)


def _person(call: FirstCall, company: Company | None) -> Contact:
    part = call.contact
    return Contact(
        last_name=part.last_name, first_name=part.first_name, middle_name=part.middle_name,
        position=part.position, phone=part.phone, email=part.email, birthday=part.birthday,
        company=company, owner_id=None if company is not None else call.owner_id,
    )


def _call_done(session: Session, actor, call: FirstCall, record, call_task: Task | None) -> Task:
    """Write the call as a done task: a new one, or `call_task` (a lead's answer task) done."""
    now = local_now().replace(second=0, microsecond=0)
    if call_task is None:
        done = Task(type=TaskType.CALL.value, subject=str(_l("Incoming call")), due_at=now,
                    state=TaskState.DONE.value, result=call.call_result, done_at=now,
                    **followup.links_for(record))
        _checked(session, actor, "call", done)
        session.add(done)
        return done
    for key, value in followup.links_for(record).items():
        setattr(call_task, key, value)
    call_task.state = TaskState.DONE.value
    call_task.result = call.call_result
    call_task.done_at = local_now()
    _checked(session, actor, "call", call_task, is_new=False)
    return call_task


def _write(session: Session, actor, call: FirstCall, call_task: Task | None = None) -> Registered:
    if call.kind not in KINDS:
        raise ValidationError(_l("Client: choose a company or a private person."), "kind")
    company = contact = deal = None
    if call.kind == COMPANY:
        company = _company(call)
        _checked(session, actor, "client", company, allow_duplicate=call.allow_duplicate)
        session.add(company)
    if call.kind == PERSON or not call.contact.is_empty():
        contact = _person(call, company)
        _checked(session, actor, "contact", contact, allow_duplicate=call.allow_duplicate)
        session.add(contact)
    client = company if company is not None else contact
    if (call.deal.title or "").strip() or call.deal.amount not in (None, ""):
        deal = Deal(title=call.deal.title, amount=call.deal.amount,
                    stage=_stage(session, call.deal.stage_id), company=company, contact=contact)
        _checked(session, actor, "deal", deal, allow_duplicate=call.allow_duplicate)
        session.add(deal)
    done = _call_done(session, actor, call, deal or client, call_task)
    try:
        # The deal's task carries the client too: one planned task covers both.
        planned = followup.attach_first_task(session, actor, deal or client, call.next_task)
        session.flush()
        followup.refuse_uncovered(followup.uncovered(session, [r for r in (client, deal) if r]))
    except ValidationError as error:
        raise _in_part("next_task", error, NEXT_TASK_FIELDS) from error
    return Registered(client=client, company=company, contact=contact, deal=deal, call=done,
                      next_task=planned)


def write_first_call(session: Session, actor, call: FirstCall,
                     call_task: Task | None = None) -> Registered:
    """Write the client with its contact, deal, the call done and the next task; no commit.

    `call_task`, a planned task (a lead's answer task), becomes the done call instead of
    a new one. For the doors that write more in the same transaction (accepting a lead).

    :raise ValidationError: naming the part and field at fault (`contact.email`...).
    """
    set_actor(session, actor)
    return _write(session, actor, call, call_task)


def register_first_call(session: Session, actor, call: FirstCall) -> Registered:
    """Create the client with its contact, deal, the call done and the next task, or nothing.

    :raise ValidationError: naming the part and field at fault (`contact.email`...);
        nothing is written then.
    :raise DuplicateFound: if the client or the contact looks like an existing one and
        `call.allow_duplicate` is not set.
    """
    set_actor(session, actor)
    try:
        registered = _write(session, actor, call)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return registered
