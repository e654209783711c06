"""Export of every list to CSV and XLSX: the rows the list shows, all pages of them."""

from datetime import date
from decimal import Decimal
from itertools import chain

from flask import Response, abort, render_template, request, send_file, stream_with_context
from flask_appbuilder import expose, has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services.io import export

# Distinct texts remembered per column while exporting (codes such as statuses repeat).
MEMO_SIZE = 256


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "ru"


class ExportMixin:
    """Adds /export/csv and /export/xlsx to a model view, and the links to its list.

    The export runs the list's own query: the view's datamodel (so the visibility rule
    applies), its base filters, the search filters of the request (`_flt_*`) and its sort
    (`_oc_*` / `_od_*`), without paging. Values go through the list's formatters.
    """

    list_template = "crm/list.html"

    @expose("/export/<string:fmt>", methods=["GET"])
    @has_access
    def export(self, fmt):
        """Send the list as it is filtered and sorted now, as CSV (streamed) or XLSX."""
        if fmt not in ("csv", "xlsx"):
            abort(404)
        refused = self._refused_filter()
        if refused is not None:
            return refused
        columns = list(self.list_columns)
        headers = [str(self.label_columns.get(column, column)) for column in columns]
        language = _language()
        name = f"{self.datamodel.obj.__tablename__}-{date.today().isoformat()}"
        memo: dict = {}
        keep_values = fmt == "xlsx"
        rows = export.rows_in_own_session(
            self.export_query(), db.session.session_factory,
            lambda item: self.export_row(item, columns, keep_values=keep_values, memo=memo),
        )
        if fmt == "csv":
            # The first batch is read now, so a failing query answers an error page
            # instead of a download cut off after its headers.
            first = next(rows, None)
            rows = chain([first] if first is not None else [], rows)
            body = export.iter_csv(headers, rows, export.csv_separator(language))
            return Response(
                stream_with_context(body), mimetype=export.CSV_MEDIA_TYPE,
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        output = export.write_xlsx(headers, rows, str(self.list_title), language)
        return send_file(output, mimetype=export.XLSX_MEDIA_TYPE, as_attachment=True,
                         download_name=f"{name}.xlsx")

    def _refused_filter(self):
        """Return a 400 page naming the column whose filter holds a NUL byte, else None.

        No database stores or compares a NUL byte (PostgreSQL refuses the whole query).
        """
        for key, value in request.args.items(multi=True):
            if key.startswith("_flt_") and "\x00" in value:
                column = key.split("_", 3)[-1]
                label = self.label_columns.get(column, column)
                text = _l("%(field)s: the filter holds a character that cannot be searched "
                          "for (a NUL byte).", field=label)
                return render_template(
                    "crm/error.html", code=400, title=_l("Bad request"), text=text,
                    appbuilder=self.appbuilder, base_template=self.appbuilder.base_template,
                ), 400
        return None

    def export_query(self):
        """Return the list's query for the current request, unpaged."""
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if order_column not in self.order_columns:
            order_column, order_direction = self.base_order or ("", "")
        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, filters, order_column, order_direction)
        return query

    def export_row(self, item, columns: list[str], keep_values: bool = False,
                   memo: dict | None = None) -> list:
        """Return the row as the list shows it; dates and amounts stay values for XLSX.

        `memo` keeps the text of values that repeat (statuses, types) per column, so the
        translation of the same code is not looked up again for every row.
        """
        row = []
        for column in columns:
            value = self.datamodel._get_attr_value(item, column)
            if keep_values and isinstance(value, date | Decimal):
                row.append(value)
                continue
            formatter = self.formatters_columns.get(column)
            if memo is not None and isinstance(value, str) and formatter is not None:
                cached = memo.setdefault(column, {})
                text = cached.get(value)
                if text is None:
                    text = export.display_text(value, formatter)
                    if len(cached) < MEMO_SIZE:
                        cached[value] = text
                row.append(text)
            else:
                row.append(export.display_text(value, formatter))
        return row
