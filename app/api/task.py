"""Tasks: calls, meetings and e-mails, planned or done; completing one plans the next."""

from flask import Response, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import SQLAlchemyError

from app.api import errors
from app.api.base import CrmModelApi, next_task_of
from app.api.schemas import CompleteTaskSchema
from app.data.datamodel import ScopedInterface
from app.models import Task
from app.models.enums import TaskType
from app.services.errors import DomainError
from app.services.rules import followup

SHOWN = [
    "id", "type", "subject", "due_at", "company_id", "contact_id", "deal_id", "state",
    "result", "done_at", "notes", "owner_id", "created_at", "changed_at", "version",
]
WRITTEN = ["type", "subject", "due_at", "company_id", "contact_id", "deal_id", "owner_id",
           "notes"]


class TaskApi(CrmModelApi):
    resource_name = "task"
    list_title = _l("Tasks")
    show_title = _l("Task")
    add_title = _l("New task")
    edit_title = _l("Edit task")
    datamodel = ScopedInterface(Task)
    choices = {"type": TaskType}
    openapi_spec_component_schemas = (CompleteTaskSchema,)
    list_columns = [
        "id", "type", "subject", "due_at", "company_id", "contact_id", "deal_id", "state",
        "done_at", "owner_id", "version",
    ]
    show_columns = SHOWN
    add_columns = WRITTEN
    edit_columns = WRITTEN
    search_columns = ["state", "due_at", "done_at", "owner_id", "company_id", "contact_id",
                      "deal_id", "subject"]
    order_columns = ["id", "due_at", "done_at"]
    base_order = ("due_at", "asc")

    def complete_headless(self, pk) -> Response:
        """Complete or cancel the task, then plan the next one or close the client / deal."""
        task = self.find(pk)
        if task is None:
            return self.response_404()
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = CompleteTaskSchema().load(request.json)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        outcome = followup.Outcome(
            result=data.get("result") or "",
            cancel=data["cancel"],
            next_task=next_task_of(data.get("next_task")),
            client_status=data.get("client_status"),
            lost_reason=data.get("lost_reason"),
            deal_stage_id=data.get("deal_stage_id"),
        )
        try:
            finished = followup.finish_task(self.datamodel.session, self.actor(), task, outcome)
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except SQLAlchemyError as error:
            return self.database_failure(error)
        planned = finished.next_task
        return self.response(
            200, id=task.id, result=self.show_model_schema.dump(task),
            next_task=self.show_model_schema.dump(planned) if planned is not None else None,
            warnings=[finished.warning] if finished.warning else [],
        )

    @expose("/<pk>/complete", methods=["POST"])
    @protect()
    @safe
    @permission_name("complete")
    def complete(self, pk) -> Response:
        """Complete a task with its result, planning the next task or closing instead.
        ---
        post:
          description: >-
            Mark the task done with its result (or cancelled, with cancel true), in one
            transaction with what comes next: the next task (next_task), or the client
            marked lost (client_status lost and lost_reason), or the deal moved to a
            stage (deal_stage_id; a lost stage needs lost_reason). Leaving a live client
            or an open deal without a planned task is refused on next_task.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CompleteTaskSchema'
          responses:
            200:
              description: Completed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      next_task:
                        nullable: true
                        allOf:
                        - $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      warnings:
                        type: array
                        description: >-
                          What the completion allowed but the team's rules advise against,
                          for example a next task planned beyond the stage's cadence.
                        items:
                          type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.complete_headless(pk)
