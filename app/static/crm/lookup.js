// Search-as-you-type selects for a form's company, contact and deal (select2 from FAB).
// Each <select class="crm-lookup"> holds only the chosen record; select2 asks the
// server (data-lookup-url) for matches as the user types. Texts come translated in
// data attributes, so nothing here is in one language.
(function ($) {
    "use strict";

    // The value of a field this one depends on: the form's own field, or, when the
    // form was opened from a record's page and hides it, the filter in the address.
    function dependencyValue(form, name) {
        var field = form ? form.querySelector('[name="' + name + '"]') : null;
        if (field) {
            return field.value;
        }
        var params = new URLSearchParams(window.location.search);
        var pattern = new RegExp("^_flt_\\d+_" + name + "$");
        var found = "";
        params.forEach(function (value, key) {
            if (!found && pattern.test(key)) {
                found = value;
            }
        });
        return found;
    }

    function setUp(select) {
        var $select = $(select);
        var depends = ($select.data("depends") || "").split(" ").filter(Boolean);
        var text = function (name) {
            return function () { return $select.data(name) || ""; };
        };
        $select.select2({
            theme: "bootstrap",
            width: "100%",
            allowClear: true,
            placeholder: $select.data("placeholder") || "",
            minimumInputLength: 0,
            ajax: {
                url: $select.data("lookupUrl"),
                dataType: "json",
                delay: 250,
                data: function (params) {
                    var query = {q: params.term || ""};
                    depends.forEach(function (name) {
                        var value = dependencyValue(select.form, name);
                        if (value) {
                            query[name] = value;
                        }
                    });
                    return query;
                },
                processResults: function (data) {
                    return {results: data.results || []};
                }
            },
            language: {
                searching: text("searching"),
                noResults: text("noResults"),
                errorLoading: text("errorLoading"),
                removeAllItems: text("removeAll")
            }
        });
        // Another company chosen: a contact or deal picked for the old one no longer fits.
        depends.forEach(function (name) {
            var field = select.form ? select.form.querySelector('[name="' + name + '"]') : null;
            if (field) {
                $(field).on("change", function () {
                    $select.val(null).trigger("change");
                });
            }
        });
    }

    $(function () {
        $("select.crm-lookup").each(function () { setUp(this); });
    });
}(jQuery));
