"""The routes of every CRM resource, each with the OpenAPI description of what it answers.

FAB's own descriptions promise string ids and an object of add columns; these say what
the CRM really answers, including its 409 and 422 bodies.
"""

from flask import Response
from flask_appbuilder.api import (
    BaseApi,
    ModelRestApi,
    expose,
    get_info_schema,
    get_item_schema,
    get_list_schema,
    merge_response_func,
    safe,
)
from flask_appbuilder.const import (
    API_ADD_COLUMNS_RIS_KEY,
    API_ADD_TITLE_RIS_KEY,
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_EDIT_COLUMNS_RIS_KEY,
    API_EDIT_TITLE_RIS_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.filtering import rison_arguments

_MESSAGE_BODY = {
    "type": "object",
    "properties": {
        "message": {
            "type": "object",
            "description": "Field name (or _schema) to a list of messages in the user's "
                           "language; a nested field holds an object of the same shape.",
            "additionalProperties": True,
        }
    },
}
RESPONSES = {
    **ModelRestApi.responses,
    "Refused": {
        "description": "Refused: a value or a rule of the CRM; nothing was written",
        "content": {"application/json": {"schema": _MESSAGE_BODY}},
    },
    "Conflict": {
        "description": "Someone changed the record since it was read; nothing was written",
        "content": {"application/json": {"schema": _MESSAGE_BODY}},
    },
}


class DocumentedRoutes(ModelRestApi):
    """FAB's routes of a model API, declared again with descriptions of the CRM's answers.

    Each route hands off to FAB's headless handler of the same name, which the CRM's
    base class overrides.
    """

    responses = RESPONSES

    @expose("/_info", methods=["GET"])
    @protect()
    @safe
    @rison_arguments(get_info_schema)
    @permission_name("info")
    @merge_response_func(BaseApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_field_info, API_ADD_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_field_info, API_EDIT_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_search_filters, API_FILTERS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_title, API_ADD_TITLE_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_title, API_EDIT_TITLE_RIS_KEY)
    def info(self, **kwargs) -> Response:
        """Describe the fields of create and update, the filters and the user's rights.
        ---
        get:
          description: >-
            What a client needs to build forms: the fields of create and update with
            their labels in the user's language, the filters of each searchable column,
            and the user's permissions on this resource.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_info_schema'
          responses:
            200:
              description: The metadata
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      add_columns:
                        type: array
                        items:
                          type: object
                      edit_columns:
                        type: array
                        items:
                          type: object
                      filters:
                        type: object
                        additionalProperties:
                          type: array
                          items:
                            type: object
                            properties:
                              name:
                                type: string
                              operator:
                                type: string
                      permissions:
                        type: array
                        items:
                          type: string
                      add_title:
                        type: string
                      edit_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        return self.info_headless(**kwargs)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison_arguments(get_item_schema)
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns,
                         API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs) -> Response:
        """Show one record the user may see.
        ---
        get:
          description: >-
            One record by id. Another manager's record, or an archived one, is not found.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_item_schema'
          responses:
            200:
              description: The record
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      show_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                      description_columns:
                        type: object
                      show_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        return self.get_headless(pk, **kwargs)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison_arguments(get_list_schema)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns,
                         API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs) -> Response:
        """List the records the user may see, a page at a time (at most 100 a page).
        ---
        get:
          description: >-
            The records the user may see: a manager sees own records only. Archived
            records are left out. Filter, order and page with the rison argument q.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: A page of records
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        description: How many records match, on every page
                        type: integer
                      ids:
                        type: array
                        items:
                          type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/{{self.__class__.__name__}}.get_list'
                      list_columns:
                        type: array
                        items:
                          type: string
                      order_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                      description_columns:
                        type: object
                      list_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        return self.get_list_headless(**kwargs)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self) -> Response:
        """Create a record owned by the user (Head and Admin may name another owner).
        ---
        post:
          description: >-
            Create a record. A live client or an open deal takes its first task in the
            same request (next_task); without it the request is refused on next_task.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
          responses:
            201:
              description: Created
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.post_headless()

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk) -> Response:
        """Change the given fields of a record the user may see.
        ---
        put:
          description: >-
            Change the fields given; the others stay. Send the version read to refuse
            overwriting someone else's change (409).
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
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Changed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/Conflict'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.put_headless(pk)

    @expose("/<pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk) -> Response:
        """Archive a record the user may see (Head and Admin can restore it).
        ---
        delete:
          description: >-
            Deleting archives: the record leaves every list and stays in the database.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          responses:
            200:
              description: Archived
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/Conflict'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.delete_headless(pk)
