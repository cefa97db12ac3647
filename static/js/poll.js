/* Follows a background job: an element with data-poll="<status url>" is refreshed from
   that JSON every two seconds ({progress, status_label, finished}); when the job has
   finished the page reloads to offer the file. Loaded from our own origin (CSP). */
(function () {
  "use strict";
  var box = document.querySelector("[data-poll]");
  if (!box || !window.fetch) {
    return;
  }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") {
    return;
  }
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (!el) {
      return;
    }
    if (el.tagName === "PROGRESS") {
      el.value = value;
    } else {
      el.textContent = value;
    }
  }
  function poll() {
    fetch(box.getAttribute("data-poll"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        set("progress", job.progress);
        set("percent", job.progress);
        set("status_label", job.status_label);
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
