// The pipeline board: drag a card onto another column, or onto "Won" or "Lost", and the
// card's own move form is sent with that stage (a lost deal first asks for the reason).
// Without this script every card's form works as is, and the server asks what is missing.
(function () {
  "use strict";
  var board = document.getElementById("pipeline-board");
  if (!board) {
    return;
  }
  var dragged = null;
  var dialog = document.getElementById("lost-dialog");

  // The board fills the window below its top edge, so its sideways scrollbar is in view.
  function fitHeight() {
    var top = board.getBoundingClientRect().top + window.scrollY;
    board.style.setProperty("--crm-board-height", Math.max(360, window.innerHeight - top - 12) + "px");
  }
  fitHeight();
  window.addEventListener("resize", fitHeight);

  function send(card, stageId, lostReason) {
    var form = card.querySelector("form");
    form.querySelector("select[name=stage_id]").value = stageId;
    form.querySelector("input[name=lost_reason]").value = lostReason || "";
    form.submit();
  }

  function askLostReason(card, stageId) {
    if (!dialog || typeof dialog.showModal !== "function") {
      send(card, stageId); // the server asks for the reason on its own page
      return;
    }
    var reason = document.getElementById("lost-dialog-reason");
    document.getElementById("lost-dialog-deal").textContent =
      card.querySelector(".crm-card-title").textContent;
    reason.value = "";
    dialog.returnValue = "";
    dialog.showModal();
    reason.focus();
    document.getElementById("lost-dialog-form").onsubmit = function (event) {
      event.preventDefault();
      var text = reason.value.trim();
      if (!text) {
        reason.value = "";
        reason.reportValidity();
        return;
      }
      dialog.close("sent");
      send(card, stageId, text);
    };
  }

  if (dialog) {
    document.getElementById("lost-dialog-cancel").addEventListener("click", function () {
      dialog.close();
    });
  }

  board.querySelectorAll(".crm-card").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("crm-dragging");
      document.body.classList.add("crm-board-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("crm-dragging");
      document.body.classList.remove("crm-board-dragging");
      dragged = null;
    });
  });

  function dropTarget(target, onDrop) {
    target.addEventListener("dragover", function (event) {
      if (dragged && dragged.dataset.stage !== target.dataset.stage) {
        event.preventDefault();
        target.classList.add("crm-drop-target");
      }
    });
    target.addEventListener("dragleave", function () {
      target.classList.remove("crm-drop-target");
    });
    target.addEventListener("drop", function (event) {
      event.preventDefault();
      target.classList.remove("crm-drop-target");
      if (!dragged || dragged.dataset.stage === target.dataset.stage) {
        return;
      }
      onDrop(dragged, target.dataset.stage);
    });
  }

  board.querySelectorAll(".crm-board-column").forEach(function (column) {
    dropTarget(column, function (card, stageId) {
      send(card, stageId);
    });
  });
  document.querySelectorAll(".crm-drop-zone").forEach(function (zone) {
    dropTarget(zone, function (card, stageId) {
      if (zone.dataset.kind === "lost") {
        askLostReason(card, stageId);
      } else {
        send(card, stageId);
      }
    });
  });
})();
