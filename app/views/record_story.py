"""The show page of a client, deal or task with its story under the fields."""

from flask import g
from flask_appbuilder import expose, has_access

from app.services.queries.timeline import timeline


class ShowWithStory:
    """A model view mixin: the show page adds the record's timeline when `with_timeline`."""

    show_template = "crm/show.html"
    with_timeline = False

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Show the record with its related lists and, for clients and deals, its story."""
        widgets = self._show(pk)
        item = self.datamodel.get(pk, self._base_filters)
        story = None
        if self.with_timeline and item is not None:
            story = timeline(self.datamodel.session, item, self.label_columns, viewer=g.user)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            timeline=story,
            item=item,
        )
