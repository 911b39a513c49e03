// Small enhancements. Every task works without this file; it only makes things smoother.
(function () {
  "use strict";

  // Error summary links: put focus in the field and show its label or legend too, not just the box.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    var label = legend || document.querySelector("label[for='" + field.id + "']") || field;
    label.scrollIntoView();
    field.focus({ preventScroll: true });
  });

  // A second press of a button marked data-prevent-double-click within a second is ignored, so a
  // slow connection does not send a form twice (the server refuses duplicates too).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.getAttribute("data-prevent-double-click") !== "true") return;
    if (button.dataset.sentAt && Date.now() - Number(button.dataset.sentAt) < 1000) {
      event.preventDefault();
      return;
    }
    button.dataset.sentAt = String(Date.now());
  });

  // After htmx swaps in a new main element, move focus into it so screen reader and keyboard users
  // know the page changed. An error summary takes focus by itself (autofocus).
  document.addEventListener("htmx:afterSettle", function (event) {
    // Only when the whole main element was replaced: live updates inside it must not move focus.
    var main = document.getElementById("main-content");
    if (!main || event.detail.elt !== main) return;
    if (main.querySelector("[autofocus]")) {
      main.querySelector("[autofocus]").focus();
      return;
    }
    var heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });

  // An invitation link carries its code after "#", which browsers never send to a server, so no log
  // keeps it. Put it in the code box, then take it out of the address bar and the history.
  var fromLink = /^#code=([A-Za-z0-9-]{1,40})$/.exec(window.location.hash);
  var codeBox = document.querySelector("form[action='/carers/accept'] input[name=code]");
  if (fromLink && codeBox) {
    if (!codeBox.value) codeBox.value = fromLink[1];
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  // For the scripts that talk to the server in JSON (passkeys, notifications): send `body` with the
  // CSRF token; resolve with the reply, or fail with the server's own words when it gave some.
  function postJSON(url, body, csrf) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok || !data) {
          var error = new Error((data && data.error) || "");
          error.fromServer = Boolean(data && data.error);
          throw error;
        }
        return data;
      });
    });
  }

  window.portal = { postJSON: postJSON };
})();
