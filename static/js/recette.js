/* Recette: keyboard entry of results and confirmations. Works without it (plain forms). */
(function () {
  "use strict";
  var KEYS = { o: "passed", k: "failed", b: "blocked", n: "not_run" };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.matches("input, textarea, select")) return;
    var row = target.closest && target.closest("[data-result-row]");
    var status = KEYS[event.key.toLowerCase()];
    if (!row || !status) return;
    var button = row.querySelector('button[value="' + status + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });

  // After a result is saved the row is replaced: move on to the next case.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail.elt;
    var id = event.detail.target && event.detail.target.id;
    if (!id || id.indexOf("result-") !== 0) return;
    var row = document.getElementById(id);
    if (!row) return;
    var next = row.nextElementSibling;
    var focusable = next && next.querySelector(".res-btn");
    if (focusable) focusable.focus();
    else { var same = row.querySelector(".res-btn[aria-pressed=true]"); if (same) same.focus(); }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
