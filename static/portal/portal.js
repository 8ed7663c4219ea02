/* AI Safety Alert Exchange — progressive enhancement for the portal. Every page works without it.
   Served as a file of the service (strict Content Security Policy: no inline script). */
(function () {
  "use strict";

  // --- Deadlines: keep "Due in … / Overdue by …" current while the page stays open. ----------
  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) { return days + " day" + (days !== 1 ? "s" : "") + " " + hours + " h"; }
    if (hours) { return hours + " h " + mins + " min"; }
    return mins + " min";
  }

  function refreshCountdowns() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      var left = at - now;
      el.textContent = left <= 0 ? "Overdue by " + span(left) : "Due in " + span(left);
      el.classList.toggle("overdue", left <= 0);
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

  document.addEventListener("DOMContentLoaded", function () {
    refreshCountdowns();
    window.setInterval(refreshCountdowns, 30000);
    confirmSubmits();
    copyButtons();
    distributionToggle();
  });
})();
