"""Tasks: calls, meetings and e-mails, planned or done."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict

from app.data.datamodel import ScopedInterface
from app.labels import LABELS
from app.models import Stage, Task
from app.models.enums import TaskState, label
from app.models.mixins import local_now
from app.redirects import safe_next
from app.services.errors import DomainError
from app.services.queries import completion
from app.services.rules import followup
from app.views.base import ACTIVE_OWNERS, CrmModelView
from app.views.complete import CompleteTaskForm
from app.views.fields import task_state_field, task_type_field, when_field
from app.views.formatters import COMMON
from app.views.lookup_field import company_field, contact_field, deal_field


class TaskView(CrmModelView):
    with_timeline = True
    datamodel = ScopedInterface(Task)
    list_title = _l("Tasks")
    show_title = _l("Task")
    add_title = _l("New task")
    edit_title = _l("Edit task")
    label_columns = LABELS
    formatters_columns = COMMON
    list_columns = ["due_at", "type", "subject", "company", "contact", "deal", "state", "owner"]
    link_column = "subject"
    phone_columns = ("due_at", "subject", "state")
    completes_rows = True
    list_template = "crm/task_list.html"
    order_columns = ["due_at", "type", "subject", "state"]
    # Done at / done by: the team day's "done today" and "done this week" link here.
    search_columns = ["subject", "type", "state", "due_at", "owner", "result", "done_at",
                      "done_by"]
    search_form_query_rel_fields = {**ACTIVE_OWNERS, "done_by": ACTIVE_OWNERS["owner"]}
    show_fieldsets = [
        (_l("Task"), {"fields": ["type", "subject", "due_at", "state", "result", "done_at"]}),
        (_l("Linked to"), {"fields": ["company", "contact", "deal"]}),
        (_l("Responsible"), {"fields": ["owner", "notes", "created_at", "changed_at"]}),
    ]
    add_columns = ["type", "subject", "due_at", "company", "contact", "deal", "owner", "notes"]
    edit_columns = add_columns
    # Company, contact and deal are searched as the user types (contact and deal among
    # the chosen company's): the page never lists every record.
    add_form_extra_fields = {
        "type": task_type_field(),
        "due_at": when_field(_l("Due"), required=True),
        "company": company_field(),
        "contact": contact_field(),
        "deal": deal_field(),
    }
    edit_form_extra_fields = add_form_extra_fields
    add_template = "crm/add.html"
    edit_template = "crm/edit.html"
    add_form_query_rel_fields = ACTIVE_OWNERS
    edit_form_query_rel_fields = ACTIVE_OWNERS
    base_order = ("due_at", "asc")
    # The state is searched by its translated name, not by the stored code.
    search_form_extra_fields = {"state": task_state_field()}

    @expose("/list/")
    @has_access
    def list(self):
        """Open on the planned tasks, soonest first; any search or sort shows what it asks.

        The filter is put into the request as FAB's search form writes it, so the search
        panel shows it and the user can take it away.
        """
        if not request.args:
            request.args = ImmutableMultiDict(self._planned_filter())
        return super().list()

    def _planned_filter(self) -> dict:
        """Return the list's argument 'state equals planned', as FAB's search form writes it."""
        filters = self._filters.get_search_filters()["state"]
        index = next(i for i, one in enumerate(filters) if isinstance(one, FilterEqual))
        return {f"_flt_{index}_state": TaskState.PLANNED.value}

    def card_context(self, item) -> dict:
        """Give the task's card its header: the client and deal, the complete button."""
        client = item.company or item.contact
        if item.deal is not None:
            back = url_for("DealView.show", pk=item.deal.id)
        elif client is not None:
            view = "CompanyView" if item.company is not None else "ContactView"
            back = url_for(f"{view}.show", pk=client.id)
        else:
            back = url_for("TaskView.show", pk=item.id)
        return {"task": item, "task_state": label(TaskState, item.state), "back_to": back}

    @expose("/complete/<pk>", methods=["GET", "POST"])
    @has_access
    def complete(self, pk):
        """Show and handle the complete dialog: result, next task or closing.

        `?next=` (a path of this site) is where the user goes back to: My day, a list, a card.
        """
        task = self.datamodel.get(pk, self._base_filters)
        if task is None:
            abort(404)
        if task.is_planned and task.inbox_item is not None and task.inbox_item.is_new:
            # Answering a lead is deciding it: accept, link or decline on its page.
            return redirect(url_for("InboxView.show", pk=task.inbox_item_id))
        session = self.datamodel.session
        target = safe_next(request.args.get("next"), url_for("CrmIndexView.index"))
        form = CompleteTaskForm()
        stages = session.scalars(select(Stage).order_by(Stage.position)).all()
        form.deal_stage.choices = [("", "—")] + [(str(s.id), s.label) for s in stages]
        current_stage = task.deal.stage_id if task.deal is not None else None
        if request.method == "GET":
            form.next_subject.data = task.subject
            form.next_due_at.data = followup.default_due(local_now())
            form.version_seen.data = task.version
            form.deal_stage.data = str(current_stage) if current_stage else ""
        elif form.validate_on_submit():
            finished = self._finish(task, form.outcome_of(current_stage), form)
            if finished is not None:
                flash(str(_l("Task completed.")), "success")
                if finished.warning:
                    flash(finished.warning, "warning")
                return redirect(target)
        return self.render_template(
            "crm/complete_task.html", form=form, task=task, back=target,
            # A plain string: Jinja takes a lazy one for markup and would not escape the subject.
            title=str(_l("Complete the task “%(subject)s”", subject=task.subject)),
            quick_dues=completion.quick_dues(local_now(), task.due_at),
            phones=completion.phones_of(task, g.user),
            results=completion.recent_results(session, g.user, task),
        )

    def _finish(self, task, outcome: followup.Outcome, form) -> followup.Finished | None:
        """Complete the task through the service; on refusal say why on the field.

        Returns what was planned on the way (None when it was refused).
        """
        session = self.datamodel.session
        try:
            self.check_version(task, self._seen_version(form))
            finished = followup.finish_task(session, g.user, task, outcome)
        except StaleDataError:
            flash(str(_l("Someone has just changed this task. Look at it again and retry.")),
                  "danger")
            return None
        except DomainError as error:
            session.rollback()
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*list(field.errors or []), str(error.message)]
            flash(str(error.message), "danger")
            return None
        return finished
