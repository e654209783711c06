"""The home page: what the logged-in manager has to do today."""


from flask import g, redirect
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.models.mixins import local_now
from app.services.agenda import my_tasks


class CrmIndexView(IndexView):
    index_template = "crm/index.html"

    @expose("/")
    def index(self):
        """Show the user's overdue and today's tasks; anonymous users go to the login page."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        tasks = my_tasks(db.session, user, local_now())
        return self.render_template(self.index_template, tasks=tasks, appbuilder=self.appbuilder)
