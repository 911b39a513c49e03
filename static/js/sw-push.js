// Web push handlers for the service worker (imported by static/sw.js).
//
// A push message is JSON {"title", "body", "url"} (portal/notify/channels.py WebPush), already in
// the person's language. It is shown as a notification with our app icon; pressing it opens the
// update's page, or brings forward a window already showing it. Nothing here is stored: the
// notification holds the words until the person dismisses it.
"use strict";

var pushIcon = null;  // The app icon from the manifest, looked up once per worker.

function pushIconUrl() {
  if (pushIcon) return pushIcon;
  pushIcon = fetch("/manifest.webmanifest", { credentials: "omit" }).then(function (response) {
    return response.ok ? response.json() : {};
  }).then(function (manifest) {
    var icons = (manifest && manifest.icons) || [];
    var usable = icons.filter(function (icon) { return !icon.purpose || icon.purpose.split(" ").indexOf("any") !== -1; });
    var chosen = usable.filter(function (icon) { return /(^|\s)192x192(\s|$)/.test(icon.sizes || ""); })[0] || usable[0];
    return chosen ? new URL(chosen.src, self.location.origin).href : undefined;
  }).catch(function () {
    pushIcon = null;  // Try again next time.
    return undefined;
  });
  return pushIcon;
}

function pushMessage(event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  var url = new URL("/updates", self.location.origin).href;
  try {
    // Only our own pages: a message can never send someone to another site.
    var parsed = new URL(data.url || "/updates", self.location.origin);
    if (parsed.origin === self.location.origin) url = parsed.href;
  } catch (error) { /* keep /updates */ }
  return { title: data.title || "", body: data.body || "", url: url };
}

self.addEventListener("push", function (event) {
  var message = pushMessage(event);
  event.waitUntil(pushIconUrl().then(function (icon) {
    var options = {
      body: message.body,
      data: { url: message.url },
      dir: "auto",  // Arabic reads right to left: the browser sees it from the words.
      // One notification per page: a message sent again replaces the first, it does not stack.
      tag: message.url
    };
    if (icon) options.icon = icon;
    return self.registration.showNotification(message.title || self.location.host, options);
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || new URL("/updates", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i += 1) {
      if (windows[i].url === url && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
