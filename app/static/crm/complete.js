// The complete dialog (crm/complete_task.html): the quick due choices fill the date field,
// and Enter in the result saves (Shift+Enter starts a new line). Without this script the
// form is a plain form: the date is typed and the Save button posts it.
(function () {
  "use strict";
  var form = document.getElementById("complete-form");
  var quick = document.getElementById("quick-due");
  var due = document.getElementById("next_due_at");
  if (!form) {
    return;
  }
  if (quick && due) {
    quick.hidden = false;
    quick.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-due]");
      if (!button) {
        return;
      }
      due.value = button.dataset.due;
      quick.querySelectorAll("button").forEach(function (other) {
        other.classList.toggle("active", other === button);
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    });
  }
  var result = document.getElementById("result");
  var hint = document.getElementById("enter-hint");
  if (hint) {
    hint.hidden = false;
  }
  if (result) {
    result.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
})();
