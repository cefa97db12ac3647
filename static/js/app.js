/* The only script of the site: no framework, loaded from our own origin (CSP
   script-src 'self'). Everything it does also works without it.

   1. Confirmation: a form button (or form) with data-confirm="…" asks in the
      <dialog id="confirm-dialog"> before it is sent, and sends _confirmed=1 when the
      person confirms. Without this script the server asks on a page instead
      (core/confirm.py); it never acts on a POST without the confirmation.
   2. Menu: Escape closes an open group of the menu. */
(function () {
  "use strict";

  var CONFIRMED = "_confirmed";

  function confirmedFlag(form) {
    return form.querySelector('input[name="' + CONFIRMED + '"][data-added]');
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === "dialog") {
      return;
    }
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var message = source.getAttribute("data-confirm");
    if (!message || confirmedFlag(form)) {
      return;
    }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return; // the server asks on a page
    }
    event.preventDefault();
    dialog.querySelector("[data-confirm-text]").textContent = message;
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        if (dialog.returnValue !== "confirm") {
          return;
        }
        var flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = CONFIRMED;
        flag.value = "1";
        flag.setAttribute("data-added", "");
        form.appendChild(flag);
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(submitter);
        } else {
          if (submitter && submitter.name) {
            var pressed = document.createElement("input");
            pressed.type = "hidden";
            pressed.name = submitter.name;
            pressed.value = submitter.value;
            form.appendChild(pressed);
          }
          form.submit();
        }
      },
      { once: true }
    );
    dialog.showModal();
  });

  // Coming back to a page (history, bfcache): ask again next time.
  window.addEventListener("pageshow", function () {
    var flags = document.querySelectorAll('input[name="' + CONFIRMED + '"][data-added]');
    for (var i = 0; i < flags.length; i += 1) {
      flags[i].remove();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var active = document.activeElement;
    if (active && active.closest && active.closest(".navgroup")) {
      active.blur();
    }
  });
})();
