// New client from a call: show the company fields for a company only, and fill the
// next task's due time from the quick choices (tomorrow, in 3 days, in a week, in a
// month) at 10:00, or at the current time of day when asked.
(function () {
    "use strict";

    var form = document.getElementById("first-call");
    if (!form) {
        return;
    }

    function pad(number) {
        return (number < 10 ? "0" : "") + number;
    }

    // The value a datetime-local input takes: 2026-12-07T10:00, in the browser's time.
    function localValue(moment) {
        return moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" +
            pad(moment.getDate()) + "T" + pad(moment.getHours()) + ":" +
            pad(moment.getMinutes());
    }

    function dueFrom(button, now, keepTime) {
        var due = new Date(now.getTime());
        var months = parseInt(button.getAttribute("data-months") || "0", 10);
        if (months) {
            var day = due.getDate();
            due.setDate(1);
            due.setMonth(due.getMonth() + months);
            // 31 January + a month is the last day of February, not 3 March.
            var last = new Date(due.getFullYear(), due.getMonth() + 1, 0).getDate();
            due.setDate(Math.min(day, last));
        }
        due.setDate(due.getDate() + parseInt(button.getAttribute("data-days") || "0", 10));
        if (!keepTime) {
            due.setHours(10, 0, 0, 0);
        }
        return due;
    }

    var due = document.getElementById("next_due_at");
    var now = document.getElementById("quick-due-now");
    var quick = document.getElementById("quick-due");
    quick.addEventListener("click", function (event) {
        var button = event.target.closest("button");
        if (!button || !due) {
            return;
        }
        due.value = localValue(dueFrom(button, new Date(), now && now.checked));
        due.dispatchEvent(new Event("change", {bubbles: true}));
        quick.querySelectorAll("button").forEach(function (other) {
            other.classList.toggle("active", other === button);
        });
    });

    function showKind() {
        var chosen = form.querySelector('input[name="kind"]:checked');
        var kind = chosen ? chosen.value : "company";
        form.querySelectorAll("[data-kind]").forEach(function (part) {
            part.hidden = part.getAttribute("data-kind") !== kind;
        });
    }

    form.querySelectorAll('input[name="kind"]').forEach(function (radio) {
        radio.addEventListener("change", showKind);
    });
    showKind();
}());
