"""Lists that count up to a cap and say "more than N" beyond it, relations preloaded."""

from flask import current_app, request
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l

from app import formatting

# Lists count their rows up to this many; beyond it they say "more than" (config key).
LIST_COUNT_CAP = 10_000


def _count_text(count: int, cap: int) -> str:
    """Return the list's total as the reader writes numbers, or "more than" the cap."""
    if count > cap:
        return str(_l("more than %(count)s", count=formatting.number_text(cap)))
    return formatting.number_text(count)


class CappedListWidget(ListWidget):
    """FAB's list, saying "more than N" instead of an exact total of a big list."""

    template = "crm/widgets/list.html"


def here() -> str:
    """Return the page being shown, as a `next` to come back to (no dangling "?")."""
    return request.full_path.rstrip("?")


class CappedList:
    """A model view mixin: a capped count and one query per relation a list shows.

    `link_column` is shown as a link to the record's card; on a phone only
    `phone_columns` are shown (the others are hidden below ~576 px by crm.css). With
    `completes_rows`, a planned row has its complete button (the view's `complete`).
    """

    link_column: str | None = None
    phone_columns: tuple[str, ...] = ()
    completes_rows = False

    def _get_list_widget(
        self,
        filters,
        actions=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        widgets=None,
        **kwargs,
    ):
        """Render one page of the list with a capped count and its relations preloaded.

        The count stops at CRM_LIST_COUNT_CAP: a bigger list says "more than" that and
        pages up to it. Each relation the list shows is loaded in one query.
        """
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = page_size or self.page_size
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        # FAB's join builds a new Filters, converting every column's filters again (a
        # tenth of a list's time); without base filters the request's own are the join.
        joined_filters = (filters.get_joined_filters(self._base_filters)
                          if self._base_filters.filters else filters)
        cap = current_app.config.get("CRM_LIST_COUNT_CAP", LIST_COUNT_CAP)
        count = self.datamodel.count_capped(joined_filters, cap)
        relations = [c for c in self.list_columns if self.datamodel.is_relation(c)]
        rows = self.datamodel.page(
            joined_filters, order_column, order_direction, page, page_size, eager=relations,
            matching=count,
        )
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(rows, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=min(count, cap),
            count_text=_count_text(count, cap),
            pks=self.datamodel.get_keys(rows),
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            link_column=self.link_column,
            wide_columns=[c for c in self.list_columns if c not in self.phone_columns]
            if self.phone_columns else [],
            completes_rows=self.completes_rows,
            back=here(),
            **kwargs,
        )
        return widgets
