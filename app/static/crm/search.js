/* The menu bar's search box: results as you type, grouped by kind, chosen with the
   keyboard (up, down, Enter) or the mouse. Enter without a choice opens the results page
   (the form's own submit), which is also what happens without this script. */
(function () {
  "use strict";

  var DELAY_MS = 250;      // wait for a pause in typing before asking
  var MIN_LENGTH = 2;      // one letter finds too much to be of use

  function start() {
    var form = document.getElementById("crm-search");
    var input = document.getElementById("crm-search-input");
    var list = document.getElementById("crm-search-results");
    var wordsNode = document.getElementById("crm-search-words");
    if (!form || !input || !list || !wordsNode) { return; }
    var words = JSON.parse(wordsNode.textContent);
    var timer = null;
    var asked = 0;         // answers to older questions are dropped
    var active = -1;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var all = options();
      if (!all.length) { return; }
      active = (index + all.length) % all.length;
      for (var i = 0; i < all.length; i++) {
        var on = i === active;
        all[i].setAttribute("aria-selected", on ? "true" : "false");
        all[i].classList.toggle("active", on);
      }
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }

    function when(text) {
      if (!text) { return words.noNextTask; }
      var moment = new Date(text);
      var shown = new Intl.DateTimeFormat(words.language === "en" ? "en-US" : words.language, {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"}).format(moment);
      return words.nextTask + ": " + shown;
    }

    function item(tag, className, text) {
      var node = document.createElement(tag);
      if (className) { node.className = className; }
      node.textContent = text;
      return node;
    }

    function option(hit, number) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "crm-search-option-" + number;
      li.setAttribute("aria-selected", "false");
      li.dataset.url = hit.url;
      var link = document.createElement("a");
      link.href = hit.url;
      link.tabIndex = -1;
      link.appendChild(item("span", "crm-search-title", hit.title));
      link.appendChild(item("span", "crm-search-meta", hit.owner + " · " + when(hit.next_task_at)));
      li.appendChild(link);
      return li;
    }

    function show(answer) {
      list.innerHTML = "";
      active = -1;
      answer.taken.forEach(function (taken) {
        list.appendChild(item("li", "crm-search-taken", taken.message));
      });
      var number = 0;
      ["company", "client", "person", "deal"].forEach(function (kind) {
        var hits = answer.result.filter(function (hit) { return hit.kind === kind; });
        if (!hits.length) { return; }
        list.appendChild(item("li", "dropdown-header", words.headings[kind]));
        hits.forEach(function (hit) { list.appendChild(option(hit, number++)); });
      });
      if (!number && !answer.taken.length) {
        list.appendChild(item("li", "crm-search-nothing", words.nothing));
      }
      var all = document.createElement("li");
      all.className = "crm-search-all";
      var link = item("a", "", words.all);
      link.href = form.action + "?q=" + encodeURIComponent(input.value.trim());
      all.appendChild(link);
      list.appendChild(all);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < MIN_LENGTH) { close(); return; }
      var number = ++asked;
      fetch(words.api + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (number !== asked || !answer) { return; }
          show(answer);
        })
        .catch(function () { /* the results page still answers on Enter */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) { return; }
        event.preventDefault();
        mark(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(options()[active].dataset.url);
      } else if (event.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { close(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
