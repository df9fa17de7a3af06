/* Jalon: what htmx does not say by itself. A failed request (server error, lost network,
   expired session) must never look like a click that worked. */
(function () {
  function flash(text) {
    var box = document.getElementById("messages");
    if (!box) { window.alert(text); return; }
    var div = document.createElement("div");
    div.className = "flash flash-error";
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.replaceChildren(div);
    box.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("htmx:responseError", function (event) {
    flash("L'action n'a pas pu être enregistrée (erreur " + event.detail.xhr.status + "). Rechargez la page puis réessayez.");
  });
  document.addEventListener("htmx:sendError", function () {
    flash("Le serveur est injoignable : vérifiez votre connexion puis réessayez. Rien n'a été enregistré.");
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = event.detail.xhr.responseURL || "";
    if (url.indexOf("/connexion/") !== -1) {
      // The session expired: show the login page instead of pasting it into a checklist row.
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();
