"""New client from a call: client, contact person, deal, the call and the next task, one form."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.extensions import db
from app.models import User
from app.models.enums import TaskType, choices
from app.models.mixins import local_now
from app.services.errors import DomainError
from app.services.queries import inbox as inbox_queries
from app.services.rules import duplicates, first_call, intake
from app.services.rules.followup import NextTask, default_due
from app.services.rules.visibility import can_assign_owner
from app.views.date_field import LocalDateField
from app.views.fields import when_field


def plain_text(form, field) -> None:
    """Refuse control bytes and lone surrogates, which no database column stores."""
    text = field.data or ""
    if any((ord(char) < 32 and char not in "\t\n\r") or 0xD800 <= ord(char) <= 0xDFFF
           for char in text):
        raise ValidationError(str(_l("Remove the control characters from this field.")))


def _text(label, size: int, **options) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=size), plain_text],
                       **options)


class FirstCallForm(FlaskForm):
    """The one screen: who called, about what, what was said, what comes next."""

    kind = RadioField(_l("Client"), choices=[(first_call.COMPANY, _l("Company")),
                                             (first_call.PERSON, _l("Private person"))],
                      default=first_call.COMPANY, validators=[DataRequired()])
    client_name = _text(_l("Company name"), 255)
    client_phone = _text(_l("Phone"), 32, render_kw={"type": "tel"})
    client_email = _text(_l("E-mail"), 255, render_kw={"type": "email"})
    client_inn = _text(_l("INN"), 12, render_kw={"inputmode": "numeric"})
    contact_last_name = _text(_l("Last name"), 100)
    contact_first_name = _text(_l("First name"), 100)
    contact_middle_name = _text(_l("Middle name"), 100)
    contact_position = _text(_l("Position"), 150)
    contact_phone = _text(_l("Phone"), 32, render_kw={"type": "tel"})
    contact_email = _text(_l("E-mail"), 255, render_kw={"type": "email"})
    contact_birthday = LocalDateField(_l("Birthday"), validators=[Optional()], past=True)
    deal_title = _text(_l("Title"), 255, description=_l("Leave empty when there is no deal."))
    deal_amount = _text(_l("Amount"), 32, render_kw={"inputmode": "decimal"})
    # Stage and owner are checked by the service (open stages, who may assign owners).
    deal_stage = SelectField(_l("Stage"), choices=[], validators=[Optional()],
                             validate_choice=False)
    call_result = TextAreaField(_l("What was said"),
                                validators=[Optional(), Length(max=5000), plain_text])
    next_type = SelectField(_l("Type"), choices=choices(TaskType),
                            default=TaskType.CALL.value)
    next_subject = _text(_l("What to do"), 255, default=_l("Call back"))
    next_due_at = when_field(_l("When"), default=lambda: default_due(local_now()))
    owner = SelectField(_l("Owner"), choices=[], validators=[Optional()], validate_choice=False)

    def first_call(self, actor) -> first_call.FirstCall:
        """Turn the answers into the service's FirstCall."""
        owner = self.owner.data if can_assign_owner(actor) else None
        stage = self.deal_stage.data
        return first_call.FirstCall(
            kind=self.kind.data,
            client=first_call.ClientPart(name=self.client_name.data,
                                         phone=self.client_phone.data,
                                         email=self.client_email.data,
                                         inn=self.client_inn.data),
            contact=first_call.PersonPart(
                last_name=self.contact_last_name.data, first_name=self.contact_first_name.data,
                middle_name=self.contact_middle_name.data, position=self.contact_position.data,
                phone=self.contact_phone.data, email=self.contact_email.data,
                birthday=self.contact_birthday.data),
            deal=first_call.DealPart(title=self.deal_title.data, amount=self.deal_amount.data,
                                     stage_id=int(stage) if stage else None),
            call_result=self.call_result.data,
            next_task=NextTask(type=self.next_type.data, subject=self.next_subject.data or "",
                               due_at=self.next_due_at.data),
            owner_id=int(owner) if owner else None,
            allow_duplicate=request.form.get("allow_duplicate") == "1",
        )


def form_field(service_field: str | None) -> str:
    """Return the form field a refusal of the service is about (`contact.email` ...)."""
    part, _, name = (service_field or "").rpartition(".")
    if part == "next_task":
        return f"next_{name}"
    return f"{part}_{name}" if part else name


def prefill(form: FirstCallForm, lead) -> None:
    """Start the form from an inbox lead: who wrote, how to reach them, what they asked."""
    names = (lead.name or "").split()
    form.kind.data = first_call.COMPANY if lead.company_name else first_call.PERSON
    form.client_name.data = lead.company_name
    if lead.company_name:
        form.client_phone.data = lead.phone
        form.client_email.data = lead.email
        form.client_inn.data = lead.inn
    form.contact_last_name.data = names[-1] if len(names) > 1 else (names[0] if names else "")
    form.contact_first_name.data = names[0] if len(names) > 1 else ""
    form.contact_phone.data = lead.phone
    form.contact_email.data = lead.email
    form.call_result.data = lead.message
    form.next_subject.data = str(_l("Answer the lead"))


class FirstCallView(BaseView):
    route_base = "/first-call"
    default_view = "index"

    def _choices(self, form: FirstCallForm) -> None:
        session = db.session
        form.deal_stage.choices = [(str(stage.id), stage.label)
                                   for stage in first_call.open_stages(session)]
        if can_assign_owner(g.user):
            users = session.scalars(select(User).where(User.active.is_(True))
                                    .order_by(User.first_name, User.last_name))
            form.owner.choices = [(str(user.id), f"{user.first_name} {user.last_name}")
                                  for user in users]
            form.owner.data = form.owner.data or str(g.user.id)

    def _lead(self):
        """Return the inbox item named by `?inbox=`, if any (404 if not the user's)."""
        pk = request.args.get("inbox")
        if pk is None:
            return None
        item = inbox_queries.get(db.session, g.user, pk)
        if item is None:
            abort(404)
        return item

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        """Show the one-screen form; save all of it, then open the new client's card.

        With `?inbox=<id>` the form starts from the lead, and saving accepts it.
        """
        lead = self._lead()
        form = FirstCallForm()
        self._choices(form)
        if lead is not None and not form.is_submitted():
            prefill(form, lead)
        if form.validate_on_submit():
            try:
                if lead is not None:
                    made = intake.accept(db.session, g.user, lead, form.first_call(g.user))
                else:
                    made = first_call.register_first_call(db.session, g.user,
                                                          form.first_call(g.user))
            except DomainError as error:
                if isinstance(error, duplicates.DuplicateFound):
                    g.crm_duplicates = error.matches
                field = getattr(form, form_field(error.field), None)
                if field is not None:
                    field.errors = [*list(field.errors or []), str(error.message)]
                flash(str(error.message), "danger")
            else:
                similar = duplicates.warnings(db.session)
                if similar:
                    flash(duplicates.warning_text(similar), "warning")
                flash(str(_l("Client saved with the call and the next task.")), "success")
                if made.company is not None:
                    return redirect(url_for("CompanyView.show", pk=made.company.id))
                return redirect(url_for("ContactView.show", pk=made.contact.id))
        elif form.is_submitted():
            flash(str(_l("Check the fields marked in red.")), "danger")
        return self.render_template(
            "crm/first_call.html", form=form, lead=lead,
            title=_l("New client from a lead") if lead else _l("New client from a call"),
            show_owner=can_assign_owner(g.user),
        )
