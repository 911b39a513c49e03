// Tells the server the browser's time zone, so opening times can be shown on the person's own clock.
// Without it, times are shown in the organisation's zone, and say so. The server checks the name.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+/-]{1,64}$/.test(zone)) return;
  var current = document.cookie.split("; ").filter(function (part) {
    return part.indexOf("portal_tz=") === 0;
  })[0];
  if (current === "portal_tz=" + zone) return;
  var secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "portal_tz=" + zone + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
})();
