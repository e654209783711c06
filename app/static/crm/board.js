// Drag a card onto another column of the pipeline board: the card's own move form is
// filled with that column's stage and sent. Without this script the form works as is.
(function () {
  "use strict";
  var board = document.getElementById("pipeline-board");
  if (!board) {
    return;
  }
  var dragged = null;

  board.querySelectorAll(".crm-card").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("crm-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("crm-dragging");
      dragged = null;
    });
  });

  board.querySelectorAll(".crm-board-column").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (dragged && dragged.dataset.stage !== column.dataset.stage) {
        event.preventDefault();
        column.classList.add("crm-drop-target");
      }
    });
    column.addEventListener("dragleave", function () {
      column.classList.remove("crm-drop-target");
    });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      column.classList.remove("crm-drop-target");
      if (!dragged || dragged.dataset.stage === column.dataset.stage) {
        return;
      }
      var form = dragged.querySelector("form");
      form.querySelector("select[name=stage_id]").value = column.dataset.stage;
      form.submit();
    });
  });
})();
