// Warn before the idle limit and let people ask for more time (WCAG 2.2.1). The server keeps the
// real timer; this mirrors it. Tabs share their activity, so working in one tab keeps the others.
(function () {
  "use strict";
  var dialog = document.querySelector("[data-session-warning]");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var idle = Number(dialog.dataset.idleSeconds) * 1000;
  var warnBefore = Number(dialog.dataset.warnSeconds) * 1000;
  var STORAGE_KEY = "portal-last-activity";
  var warnTimer = null;
  var endTimer = null;

  function here() {
    return window.location.pathname + window.location.search;
  }

  function toSignIn() {
    window.location.assign("/sign-in?next=" + encodeURIComponent(here()));
  }

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (dialog.open) dialog.close();
    warnTimer = setTimeout(function () { dialog.showModal(); }, Math.max(idle - warnBefore, 0));
    endTimer = setTimeout(toSignIn, idle);
  }

  function active() {
    try { localStorage.setItem(STORAGE_KEY, String(Date.now())); } catch (e) { /* private mode */ }
    schedule();
  }

  // Another tab reached the server: the session was kept alive there too.
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY) schedule();
  });

  dialog.querySelector("[data-session-extend]").addEventListener("click", function () {
    fetch("/session/extend", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": dialog.dataset.csrf }
    }).then(function (response) {
      if (response.ok) {
        active();
      } else {
        toSignIn();
      }
    }).catch(function () {
      // No connection: keep the warning open so the person can try again.
      dialog.querySelector("[data-session-extend]").focus();
    });
  });

  // htmx requests reach the server, so they reset its timer too.
  document.addEventListener("htmx:afterRequest", active);
  active();
})();
