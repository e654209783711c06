"""Checks and stamps applied to every company, contact, deal and task before it is saved."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.labels import LABELS
from app.models import Company, Contact, Deal, Stage, Task, User
from app.models.enums import ClientStatus, StageKind, TaskState, TaskType
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.rules import search_keys
from app.services.rules import validation as v
from app.services.rules.history import set_actor
from app.services.rules.visibility import can_assign_owner, can_see


def stamp_owner_and_audit(session: Session, actor, record, is_new: bool) -> None:
    """Give a new record its owner and author; refuse an owner the actor may not set.

    :raise ValidationError: if a Manager sets someone else as owner, or the owner is inactive.
    """
    actor_id = getattr(actor, "id", None)
    if is_new:
        record.created_by_id = actor_id
    owner_id = _chosen_owner_id(record)
    if is_new and owner_id is None:
        owner_id = parent_owner_id(record) or actor_id
        record.owner_id = owner_id
    if owner_id is None:
        raise ValidationError(_l("Owner: choose the manager responsible."), "owner")
    owner_changed = is_new or stored_owner_id(session, record) != owner_id
    if owner_changed and owner_id != actor_id and not can_assign_owner(actor):
        raise ValidationError(_l("Owner: only the head of sales can assign records."), "owner")
    if owner_changed:
        owner = session.get(User, owner_id)
        if owner is None or not owner.active:
            raise ValidationError(_l("Owner: this user is not active."), "owner")
    record.changed_by_id = actor_id
    record.changed_at = local_now()


def stored_owner_id(session: Session, record) -> int | None:
    """Return the owner the record has in the database (pending changes not flushed)."""
    model = type(record)
    with session.no_autoflush:
        return session.scalar(select(model.owner_id).where(model.id == record.id))


def _chosen_owner_id(record) -> int | None:
    """Return the owner the record is being saved with (relation or column, newest wins)."""
    added = inspect(record).attrs.owner.history.added
    if added and added[0] is not None:
        return added[0].id
    return record.owner_id


def parent_owner_id(record) -> int | None:
    """Return the owner of the deal, company or contact a new record hangs on, if any."""
    for attribute in ("deal", "company", "contact"):
        parent = getattr(record, attribute, None)
        if parent is not None and parent is not record:
            return parent.owner_id
    return None


def _check_related(actor, related, field: str, message) -> None:
    if related is not None and not can_see(related, actor):
        raise ValidationError(message, field)


def _client_status(record, default: str | None) -> None:
    if not record.status:
        record.status = default
    if record.status == ClientStatus.LOST.value:
        record.lost_reason = v.require_text(
            record.lost_reason, "lost_reason", _l("Lost reason: say why the client was lost.")
        )
    elif record.status is not None:
        record.lost_reason = None


def check_company(actor, company: Company) -> None:
    """Validate and normalise a company's fields.

    :raise ValidationError: naming the first field at fault.
    """
    company.name = v.require_text(company.name, "name", _l("Name: enter the company name."))
    company.inn = v.clean_inn(company.inn)
    company.email = v.clean_email(company.email)
    company.phone = v.clean_phone(company.phone)
    company.website = v.clean_website(company.website)
    if company.status not in (None, *[s.value for s in ClientStatus]):
        raise ValidationError(_l("Status: unknown value."), "status")
    _client_status(company, ClientStatus.POTENTIAL.value)


def check_contact(actor, contact: Contact) -> None:
    """Validate and normalise a contact's fields; a contact without a company is a client.

    :raise ValidationError: naming the first field at fault.
    """
    contact.last_name = v.require_text(
        contact.last_name, "last_name", _l("Last name: enter the person's last name.")
    )
    contact.email = v.clean_email(contact.email)
    contact.second_email = v.clean_email(contact.second_email, field="second_email")
    contact.phone = v.clean_phone(contact.phone)
    contact.mobile_phone = v.clean_phone(contact.mobile_phone, field="mobile_phone")
    contact.birthday = v.clean_birthday(contact.birthday)
    contact.birthday_key = v.birthday_key(contact.birthday)
    _check_related(actor, contact.company, "company", _l("Company: no such company."))
    if contact.company is None and contact.company_id is None:
        if contact.status not in (None, "", *[s.value for s in ClientStatus]):
            raise ValidationError(_l("Status: unknown value."), "status")
        _client_status(contact, ClientStatus.POTENTIAL.value)
    else:
        contact.status = None
        contact.lost_reason = None


def check_deal(actor, deal: Deal, session: Session) -> None:
    """Validate a deal: a client, a stage, an amount; closing stamps or clears the close time.

    :raise ValidationError: naming the first field at fault.
    """
    deal.title = v.require_text(deal.title, "title", _l("Title: enter what the deal is about."))
    if deal.company is None and deal.company_id is None and deal.contact is None and (
        deal.contact_id is None
    ):
        raise ValidationError(
            _l("Client: choose the company or the private client of the deal."), "company"
        )
    _check_related(actor, deal.company, "company", _l("Company: no such company."))
    _check_related(actor, deal.contact, "contact", _l("Contact: no such contact."))
    if deal.company is None and deal.company_id is None and deal.contact is not None:
        deal.company = deal.contact.company
    company_id = deal.company.id if deal.company is not None else deal.company_id
    if deal.contact is not None and company_id is not None and (
        deal.contact.company_id not in (None, company_id)
    ):
        raise ValidationError(
            _l("Contact: this person works for another company."), "contact"
        )
    deal.amount = v.clean_amount(deal.amount)
    v.check_date_range(deal.expected_close_date, "expected_close_date",
                       LABELS["expected_close_date"])
    deal.currency = (deal.currency or "RUB").strip().upper()
    if len(deal.currency) != 3 or not deal.currency.isalpha():
        raise ValidationError(_l("Currency: use a three-letter code such as RUB."), "currency")
    stage = deal.stage if deal.stage is not None else (
        session.get(Stage, deal.stage_id) if deal.stage_id else None
    )
    if stage is None:
        raise ValidationError(_l("Stage: choose a stage of the pipeline."), "stage")
    if stage.is_open:
        deal.closed_at = None
        deal.lost_reason = None
    else:
        deal.closed_at = deal.closed_at or local_now()
        if stage.kind == StageKind.LOST.value:
            deal.lost_reason = v.require_text(
                deal.lost_reason, "lost_reason", _l("Lost reason: say why the deal was lost.")
            )


def check_task(actor, task: Task) -> None:
    """Validate a task: a subject, a due time, a link; a done task needs its result.

    :raise ValidationError: naming the first field at fault.
    """
    task.subject = v.require_text(task.subject, "subject", _l("Subject: say what to do."))
    if task.type not in [t.value for t in TaskType]:
        raise ValidationError(_l("Type: unknown value."), "type")
    task.state = task.state or TaskState.PLANNED.value  # a new task from a form has none yet
    if task.state not in [s.value for s in TaskState]:
        raise ValidationError(_l("State: unknown value."), "state")
    if task.due_at is None:
        raise ValidationError(_l("Due: set the date and time."), "due_at")
    v.check_date_range(task.due_at, "due_at", LABELS["due_at"])
    if task.state == TaskState.PLANNED.value and due_time_changed(task):
        v.check_planned_time(task.due_at, local_now(), "due_at", LABELS["due_at"])
    _check_related(actor, task.company, "company", _l("Company: no such company."))
    _check_related(actor, task.contact, "contact", _l("Contact: no such contact."))
    _check_related(actor, task.deal, "deal", _l("Deal: no such deal."))
    if task.deal is not None:
        task.company = task.company or task.deal.company
        task.contact = task.contact or (task.deal.contact if task.company is None else None)
    if task.company is None and task.contact is None and task.deal is None and not (
        task.company_id or task.contact_id or task.deal_id
    ) and task.inbox_item is None and task.inbox_item_id is None:
        raise ValidationError(
            _l("Link the task to a company, a contact or a deal."), "company"
        )
    if task.state == TaskState.DONE.value:
        task.result = v.require_text(
            task.result, "result", _l("Result: write what happened.")
        )
        task.done_at = task.done_at or local_now()
        # Done by the manager whose task it is now; it stays theirs if the client moves.
        task.done_by_id = task.done_by_id or task.owner_id or getattr(actor, "id", None)
    else:
        task.done_by_id = None
        if task.state == TaskState.PLANNED.value:
            task.done_at = None


def due_time_changed(task: Task) -> bool:
    """Tell whether the task is new or its due time moved (to the minute a form shows).

    An overdue task may still be edited as long as its due time stays where it was.
    """
    if task.id is None:
        return True
    if not inspect(task).attrs.due_at.history.has_changes():
        return False
    session = inspect(task).session
    if session is None:
        return True
    with session.no_autoflush:
        stored = session.scalar(select(Task.due_at).where(Task.id == task.id))
    return stored is None or _to_minute(stored) != _to_minute(task.due_at)


def _to_minute(moment):
    return moment.replace(second=0, microsecond=0)


# The field checks of each kind of record, as before_save calls them.
_CHECKS = {
    Company: lambda session, actor, record: check_company(actor, record),
    Contact: lambda session, actor, record: check_contact(actor, record),
    Deal: lambda session, actor, record: check_deal(actor, record, session),
    Task: lambda session, actor, record: check_task(actor, record),
}


def before_save(session: Session, actor, record, is_new: bool) -> None:
    """Run the checks for the record's kind, set its search keys, stamp owner and audit.

    :raise ValidationError: naming the first field at fault.
    """
    with session.no_autoflush:
        set_actor(session, actor)
        check = _CHECKS.get(type(record))
        if check is not None:
            check(session, actor, record)
        # After the checks: the keys follow the cleaned phones, e-mails and names.
        search_keys.stamp_keys(record)
        stamp_owner_and_audit(session, actor, record, is_new)


def before_archive(session: Session, actor, record) -> None:
    """Stamp who archives the record, so the history names them."""
    set_actor(session, actor)
    record.changed_by_id = getattr(actor, "id", None)
