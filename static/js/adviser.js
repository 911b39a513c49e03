// The adviser console's live parts. Everything works without this file: the queue has a link to check
// it again, and replies are plain forms. Live updates come from htmx's SSE extension.
(function () {
  "use strict";

  var TYPING_EVERY_MS = 3000; // The server ignores signals closer together than this anyway.
  var TYPING_SHOWN_MS = 8000; // "Sam is typing" goes away when nothing more comes.

  // A live update must never move focus. portal.js moves focus to the h1 after an htmx swap inside
  // main (right for a whole new page); stop that for swaps made by server-sent events, and for the
  // reply box, which is sent in place so the adviser can go on typing.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("[sse-swap], [data-keep-focus]")) return;
    event.stopPropagation();
    // After sending a reply the adviser goes on writing: back to the (now empty) box.
    if (elt.matches("form[data-keep-focus]") && !elt.contains(document.activeElement)) {
      var box = elt.querySelector("textarea");
      if (box) box.focus();
    }
  }, true);

  // "Sam is typing" is read out once, not each time another signal comes with the same words.
  var typingTimer = null;
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var line = event.target;
    if (!line.hasAttribute || !line.hasAttribute("data-typing")) return;
    var words = String((event.detail && event.detail.data) || "").trim();
    if (words && words === line.textContent.trim()) event.preventDefault();
    window.clearTimeout(typingTimer);
    if (words) {
      typingTimer = window.setTimeout(function () { line.textContent = ""; }, TYPING_SHOWN_MS);
    }
  });

  // Tell the customer the adviser is typing, at most every few seconds.
  var lastSent = 0;
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-typing-url]");
    if (!form || event.target.name !== "body" || !window.fetch) return;
    var now = Date.now();
    if (now - lastSent < TYPING_EVERY_MS) return;
    lastSent = now;
    window.fetch(form.getAttribute("data-typing-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.getAttribute("data-csrf") }
    }).catch(function () { /* Only a hint: never mind if it does not arrive. */ });
  });
})();
