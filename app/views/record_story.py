"""The show page of a client, deal or task: its card, with its story under the fields."""

from flask import abort, g
from flask_appbuilder import expose, has_access

from app.services.queries.card import card_title
from app.services.queries.timeline import timeline


class ShowWithStory:
    """A model view mixin: the show page is the record's card, its timeline when asked.

    Views that are a workspace (companies, contacts, deals) add their header, feed and
    "log a call" through `card_context`.
    """

    show_template = "crm/show.html"
    with_timeline = False

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Show the record as its card: its fields and, for clients and deals, its story."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return self.render_card(pk, item, **self.card_context(item))

    def card_context(self, item) -> dict:
        """Return what the show template needs besides the fields (cards add their feed)."""
        return {}

    def render_card(self, pk, item, **context):
        """Render the show page of a visible record, named after it in the browser's tab."""
        widgets = self._get_show_widget(pk, item)
        self.update_redirect()
        story = None
        if self.with_timeline:
            story = timeline(self.datamodel.session, item, self.label_columns, viewer=g.user)
        return self.render_template(
            self.show_template,
            pk=pk,
            item=item,
            title=self.show_title,
            page_title=card_title(self.show_title, item),
            widgets=widgets,
            timeline=story,
            **context,
        )
