/* AI Safety Alert Exchange — progressive enhancement for the portal. Every page works without it.
   Served as a file of the service (strict Content Security Policy: no inline script). */
(function () {
  "use strict";

  // --- Deadlines: keep "Due in … / Overdue by …" current while the page stays open, in the page's
  // language: each <time data-countdown> carries its words (data-words, from the server's catalogue).
  var ENGLISH = {due: "Due in {span}", overdue: "Overdue by {span}", day: "{d} day {h} h", days: "{d} days {h} h",
                 hm: "{h} h {m} min", m: "{m} min"};

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  function span(ms, words) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var values = {d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60), m: minutes % 60};
    if (values.d) { return fill(values.d === 1 ? words.day : words.days, values); }
    if (values.h) { return fill(words.hm, values); }
    return fill(words.m, values);
  }

  function wordsOf(el) {
    try { return JSON.parse(el.getAttribute("data-words")) || ENGLISH; } catch (e) { return ENGLISH; }
  }

  function refreshCountdowns() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      var left = at - now;
      var words = wordsOf(el);
      el.textContent = fill(left <= 0 ? words.overdue : words.due, {span: span(left, words)});
      el.classList.toggle("overdue", left <= 0);
    });
  }

  // --- Narrow screens: tables stack into cards; each cell is labelled by its column header. ----
  function labelCells() {
    document.querySelectorAll(".table-wrap table").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead th").forEach(function (th) { heads.push(th.textContent.trim()); });
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[index] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", heads[index]);
          }
        });
      });
    });
  }

  // --- Ask before irreversible actions (withdraw, revoke, rotate, delete). ---------------------
  function confirmSubmits() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); }
    });
  }

  // --- Copy a secret shown once. ----------------------------------------------------------------
  function copyButtons() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (!target || !navigator.clipboard) { return; }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          var status = document.getElementById(button.getAttribute("aria-describedby"));
          if (status) { status.textContent = "Copied to the clipboard."; }
        });
      });
    });
  }

  // --- Alert and report forms: the recipients list matters only for a restricted distribution.
  function distributionToggle() {
    document.querySelectorAll("[data-recipients-for]").forEach(function (box) {
      var name = box.getAttribute("data-recipients-for");
      var radios = document.querySelectorAll('input[name="' + name + '"]');
      function sync() {
        var chosen = document.querySelector('input[name="' + name + '"]:checked');
        box.hidden = !(chosen && chosen.value === "restricted");
      }
      radios.forEach(function (radio) { radio.addEventListener("change", sync); });
      sync();
    });
  }

  // --- Error summary (GOV.UK pattern): take focus so it is read and seen; its links focus the field.
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.scrollIntoView({block: "start"});
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var details = field.closest("details");
      if (details) { details.open = true; }
      var label = document.querySelector("label[for='" + field.id + "']") || field.closest("fieldset");
      (label || field).scrollIntoView({block: "start"});
      field.focus();
    });
  }

  // --- Pickers: choose tools, members or jurisdictions by name (server-side search at /pick/<kind>/).
  // The text box keeps the chosen values, comma-separated, so the form works the same without this.
  function picker(input) {
    var kind = input.getAttribute("data-picker");
    var id = input.id;
    var store = document.createElement("input");
    store.type = "hidden";
    store.name = input.name;
    store.value = input.value;
    var search = document.createElement("input");
    search.type = "search";
    search.id = id;
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-controls", id + "_results");
    if (input.getAttribute("aria-describedby")) { search.setAttribute("aria-describedby", input.getAttribute("aria-describedby")); }
    var chips = document.createElement("ul");
    chips.className = "picker-chips";
    chips.setAttribute("aria-label", "Chosen");
    chips.setAttribute("aria-live", "polite");
    var results = document.createElement("ul");
    results.className = "picker-results";
    results.id = id + "_results";
    results.setAttribute("role", "listbox");
    results.setAttribute("aria-label", "Matches");
    results.hidden = true;
    input.replaceWith(store);
    store.after(chips, search, results);
    var labels = {};
    var active = -1;
    var timer = null;

    function values() { return store.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean); }
    function renderChips() {
      chips.textContent = "";
      values().forEach(function (value) {
        var li = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = labels[value] || value;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Remove " + (labels[value] || value));
        remove.addEventListener("click", function () {
          store.value = values().filter(function (v) { return v !== value; }).join(", ");
          renderChips();
          search.focus();
        });
        li.append(text, remove);
        chips.append(li);
      });
    }
    function close() { results.hidden = true; results.textContent = ""; active = -1; search.setAttribute("aria-expanded", "false"); search.removeAttribute("aria-activedescendant"); }
    function choose(item) {
      labels[item.value] = item.label;
      if (values().indexOf(item.value) < 0) { store.value = values().concat([item.value]).join(", "); }
      renderChips();
      search.value = "";
      close();
      search.focus();
    }
    function highlight(index) {
      var options = results.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (index + options.length) % options.length;
      options.forEach(function (el, i) { el.setAttribute("aria-selected", i === active ? "true" : "false"); });
      search.setAttribute("aria-activedescendant", options[active].id);
    }
    function fetchJson(query) {
      return fetch("/pick/" + kind + "/?" + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; });
    }
    function lookup() {
      var text = search.value.trim();
      if (!text) { close(); return; }
      fetchJson("q=" + encodeURIComponent(text)).then(function (data) {
        results.textContent = "";
        data.results.forEach(function (item, i) {
          var li = document.createElement("li");
          li.id = id + "_opt_" + i;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          li.textContent = item.label;
          li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
          results.append(li);
          li._item = item;
        });
        if (!data.results.length) {
          var none = document.createElement("li");
          none.setAttribute("role", "option");
          none.setAttribute("aria-disabled", "true");
          none.id = id + "_opt_none";
          none.textContent = "No match";
          results.append(none);
        }
        results.hidden = false;
        search.setAttribute("aria-expanded", "true");
      });
    }
    search.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(lookup, 150); });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter") {
        var options = results.querySelectorAll("[role=option]");
        if (!results.hidden) { event.preventDefault(); }
        var pickIndex = active >= 0 ? active : 0;
        if (options[pickIndex] && options[pickIndex]._item) { choose(options[pickIndex]._item); }
      }
    });
    search.addEventListener("blur", function () { window.setTimeout(close, 150); });
    if (values().length) {
      fetchJson("values=" + encodeURIComponent(values().join(","))).then(function (data) {
        data.results.forEach(function (item) { labels[item.value] = item.label; });
        renderChips();
      });
    }
    renderChips();
  }

  // --- A table wider than the screen scrolls inside its frame: make that frame reachable by keyboard.
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth) { return; }
      var caption = wrap.querySelector("caption");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + " (scrolls sideways)");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelCells();
    scrollableTables();
    errorSummary();
    document.querySelectorAll("input[data-picker]").forEach(picker);
    refreshCountdowns();
    window.setInterval(refreshCountdowns, 30000);
    confirmSubmits();
    copyButtons();
    distributionToggle();
  });
})();
