"""Deleting from a screen archives the record with what hangs on it, after asking."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import lazy_gettext as _l

from app.services.errors import DomainError
from app.services.rules import archive


class ArchiveInsteadOfDelete:
    """A model view mixin: "delete" asks, then archives through the services."""

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """Ask, then archive a record the user may see (with its dependents), else 404.

        GET shows what archiving takes with it; POST archives.
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "GET":
            return self.render_template(
                "crm/archive_confirm.html",
                item=item,
                title=_l("Archive"),
                counts=archive.preview(self.datamodel.session, item),
                kind_labels=archive.KIND_LABELS,
                back=url_for(f"{self.endpoint}.show", pk=pk),
            )
        self._delete(pk)
        target = self.get_redirect()
        gone = (
            f"{self.route_base}/show/{pk}",
            f"{self.route_base}/edit/{pk}",
            f"{self.route_base}/delete/{pk}",
        )
        if any(path in target for path in gone):
            target = url_for(f"{self.endpoint}.list")
        return redirect(target)

    def _delete(self, pk) -> None:
        """Archive the record and say what was archived with it; a refusal says why."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            batch = self.datamodel.delete(item)  # archives it through the services
        except DomainError as error:
            self.datamodel.session.rollback()
            flash(str(error.message), "danger")
        except DatabaseException as error:
            self._save_failed(error)
        else:
            self.post_delete(item)
            with_it = archive.describe_counts(batch.counts()) if batch else ""
            if with_it:
                flash(
                    str(
                        _l(
                            "Archived «%(name)s» together with %(what)s.",
                            name=str(item),
                            what=with_it,
                        )
                    ),
                    "success",
                )
            else:
                flash(str(_l("Archived «%(name)s».", name=str(item))), "success")
        self.update_redirect()
