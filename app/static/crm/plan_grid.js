/* The plan grid: "fill the row" copies the first month to the year; Enter moves down a
   row instead of sending the form; a changed cell is marked until saved. The form itself
   works without this script. */
(function () {
  "use strict";
  var form = document.getElementById("plan-grid-form");
  if (!form) { return; }
  form.addEventListener("click", function (event) {
    var button = event.target.closest(".crm-fill-row");
    if (!button) { return; }
    var row = button.closest("tr");
    ["crm-plan-amount", "crm-plan-touches"].forEach(function (kind) {
      var inputs = row.querySelectorAll("input." + kind);
      for (var i = 1; i < inputs.length; i++) {
        if (inputs[i].value !== inputs[0].value) {
          inputs[i].value = inputs[0].value;
          inputs[i].classList.add("crm-changed");
        }
      }
    });
  });
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type=text]")) { event.target.classList.add("crm-changed"); }
  });
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches("input[type=text]")) { return; }
    event.preventDefault();
    var cell = input.closest("td");
    var row = cell.parentElement.nextElementSibling;
    if (!row) { return; }
    var column = Array.prototype.indexOf.call(cell.parentElement.children, cell);
    var target = row.children[column] && row.children[column].querySelector("input." + input.classList[2]);
    if (target) { target.focus(); target.select(); }
  });
})();
