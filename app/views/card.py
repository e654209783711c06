"""The card of a client or deal: the header, the activity feed and "log a call" on one page."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.models.enums import ClientStatus, TaskType, choices, label
from app.models.mixins import local_now
from app.services.errors import DomainError
from app.services.queries.card import FEED_MAX, FEED_SIZE, card
from app.services.rules import log_call
from app.services.rules.followup import NextTask, default_due
from app.views.arguments import small_int
from app.views.fields import when_field
from app.views.first_call import plain_text


class LogCallForm(FlaskForm):
    """One line on the card: what was said, and the next task (prefilled)."""

    result = StringField(_l("What was said"),
                         validators=[Optional(), Length(max=5000), plain_text],
                         render_kw={"class": "form-control", "autocomplete": "off"})
    next_type = SelectField(_l("Next task"), choices=choices(TaskType),
                            default=TaskType.CALL.value, render_kw={"class": "form-control"})
    next_subject = StringField(_l("What to do"), default=_l("Call back"),
                               validators=[Optional(), Length(max=255), plain_text],
                               render_kw={"class": "form-control"})
    next_due_at = when_field(_l("When"), default=lambda: default_due(local_now()))
    # Ticked, the call completes the card's next task (its id) instead of adding a call.
    completes = BooleanField(_l("This call completes the next task"), default=True)
    completes_id = HiddenField()

    def note(self) -> log_call.CallNote:
        """Turn the answers into the service's CallNote."""
        subject = (self.next_subject.data or "").strip()
        next_task = NextTask(type=self.next_type.data, subject=subject,
                             due_at=self.next_due_at.data) if subject else None
        completes = small_int(self.completes_id.data) if self.completes.data else None
        return log_call.CallNote(result=self.result.data, next_task=next_task,
                                 completes=completes)


class ClientCard:
    """A model view mixin: the show page as the card, and its "log a call" form's POST."""

    show_template = "crm/card.html"
    # The feed tells the story; the history list of other show pages is not repeated.
    with_timeline = False

    def card_context(self, item, form: LogCallForm | None = None) -> dict:
        """Return what the card template needs besides FAB's show widget."""
        size = small_int(request.args.get("feed"), FEED_MAX) or FEED_SIZE
        return {
            "card": card(self.datamodel.session, item, self.label_columns, viewer=g.user,
                         size=size),
            "log_form": form or LogCallForm(formdata=None, prefix="call"),
            "feed_size": size,
            "feed_more_size": min(size * 4, FEED_MAX),
            "view_name": self.__class__.__name__,
            "status_label": label(ClientStatus, getattr(item, "status", None)),
            "now": local_now(),
        }

    @expose("/log-call/<pk>", methods=["POST"])
    @has_access
    def log_call(self, pk):
        """Save the call typed on the card and its next task; come back to the card."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        form = LogCallForm(prefix="call")
        if form.validate_on_submit():
            session = self.datamodel.session
            try:
                logged = log_call.log_call(session, g.user, item, form.note())
            except DomainError as error:
                session.rollback()
                field = getattr(form, error.field or "", None)
                if field is not None:
                    field.errors = [*list(field.errors or []), str(error.message)]
                flash(str(error.message), "danger")
            else:
                flash(str(_l("Call saved.") if logged.next_task is None else
                          _l("Call saved, the next task is planned.")), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        else:
            flash(str(_l("Check the fields marked in red.")), "danger")
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return self.render_card(pk, item, **self.card_context(item, form))
