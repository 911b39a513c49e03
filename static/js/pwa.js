// Lets the portal install as an app and show a helpful page when the device is offline, by
// registering our service worker (static/sw.js, served at /sw.js). Everything works without it.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  // After the page has loaded, so the worker's downloads never slow the page down.
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // No worker (a private window, or storage is off): the portal works as a normal website.
    });
  });
})();
