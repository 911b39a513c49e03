// Warn before the idle limit and let people ask for more time (WCAG 2.2.1). The server keeps the
// real timer; this only mirrors it.
(function () {
  "use strict";
  var dialog = document.querySelector("[data-session-warning]");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var idle = Number(dialog.dataset.idleSeconds) * 1000;
  var warnBefore = Number(dialog.dataset.warnSeconds) * 1000;
  var warnTimer = null;
  var endTimer = null;

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () { dialog.showModal(); }, Math.max(idle - warnBefore, 0));
    endTimer = setTimeout(function () {
      window.location.assign("/sign-in?next=" + encodeURIComponent(window.location.pathname));
    }, idle);
  }

  dialog.querySelector("[data-session-extend]").addEventListener("click", function () {
    fetch("/session/extend", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": dialog.dataset.csrf }
    }).then(function (response) {
      if (response.ok) {
        dialog.close();
        start();
      } else {
        window.location.assign("/sign-in?next=" + encodeURIComponent(window.location.pathname));
      }
    });
  });

  // htmx requests reach the server, so they reset its timer too.
  document.addEventListener("htmx:afterRequest", start);
  start();
})();
