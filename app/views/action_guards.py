"""Actions run only on records the user may see: FAB does not scope them."""

from flask import abort, g, redirect, request
from flask_appbuilder import expose


class ScopedActions:
    """A model view mixin: an action on a record the user may not see answers 404."""

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        """Run a single-record action on a record the user may see, else answer 404."""
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        if name not in self.actions or self.datamodel.get(pk, self._base_filters) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """Run a list action only when every chosen record is visible, else answer 404."""
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        if request.form.get("action") not in self.actions:
            abort(404)
        for pk in request.form.getlist("rowid"):
            if self.datamodel.get(pk, self._base_filters) is None:
                abort(404)
        return super().action_post()
