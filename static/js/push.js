// Notifications on this device (web push), on /updates/settings.
//
// Shown only where the browser can do it: otherwise the page's sentence saying so stays. Nothing
// happens on page load but finding out whether this device already gets notifications (the server
// decides: a device turned off elsewhere stays off). The browser's permission is asked for only when
// the person presses the button. Results are spoken through a polite status region, and the one
// button keeps focus while its words change between "Turn on" and "Turn off".
(function () {
  "use strict";

  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  var postJSON = window.portal.postJSON;  // From portal.js, loaded first on every page.

  // The VAPID public key (base64url) as the bytes pushManager.subscribe wants.
  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "====".slice(0, (4 - base64.length % 4) % 4);
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // Our service worker (static/sw.js, which imports the push handlers). Registering it again is
  // harmless: the browser keeps the one it has.
  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function setUp(box) {
    var button = box.querySelector("[data-push-button]");
    var status = box.querySelector("[data-push-status]");
    var unavailable = box.parentNode.querySelector("[data-push-unavailable]");
    var on = false;
    var busy = false;  // Not `disabled`: a disabled button drops keyboard focus to the page.

    function say(message) {
      // Emptied first, so the same words said twice are announced twice.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }

    function show(isOn) {
      on = isOn;
      button.textContent = isOn ? box.dataset.textOff : box.dataset.textOn;
    }

    box.dataset.pushReady = "true";
    if (unavailable) unavailable.hidden = true;
    box.hidden = false;

    var ready = registration();
    // Does this device get notifications already? Ask the server, which also ties it to this
    // session (so signing out here turns it off). One the server no longer knows is dropped here too.
    var checked = ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return false;
      return postJSON("/updates/push/check", { endpoint: subscription.endpoint }, box.dataset.csrf)
        .then(function (result) {
          if (result.subscribed) return true;
          return subscription.unsubscribe().then(function () { return false; });
        });
    }).then(show, function () { show(false); });

    function turnOn() {
      if (Notification.permission === "denied") {
        return Promise.resolve(say(box.dataset.messageBlocked));
      }
      say(box.dataset.messageWorking);
      return Promise.resolve(Notification.requestPermission()).then(function (permission) {
        if (permission === "denied") return say(box.dataset.messageBlocked);
        if (permission !== "granted") return say(box.dataset.messageDeclined);
        return ready.then(function (reg) {
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
        }).then(function (subscription) {
          return postJSON("/updates/push/subscribe", subscription.toJSON(), box.dataset.csrf)
            .catch(function (error) {
              // The server would not keep it: drop it here too, so both agree it is off.
              return subscription.unsubscribe().catch(function () {}).then(function () { throw error; });
            });
        }).then(function () {
          show(true);
          say(box.dataset.messageOn);
        }, function (error) {
          say(error && error.fromServer ? error.message : box.dataset.messageFailed);
        });
      });
    }

    function turnOff() {
      return ready.then(function (reg) {
        return reg.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) return null;
        return postJSON("/updates/push/unsubscribe", { endpoint: subscription.endpoint }, box.dataset.csrf)
          .then(function () { return subscription.unsubscribe(); });
      }).then(function () {
        show(false);
        say(box.dataset.messageOff);
      }, function (error) {
        say(error && error.fromServer ? error.message : box.dataset.messageFailedOff);
      });
    }

    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      checked.then(function () { return on ? turnOff() : turnOn(); })
        .catch(function () { say(box.dataset.messageFailed); })
        .then(function () { busy = false; });
    });
  }

  function setUpAll() {
    if (!supported) return;
    document.querySelectorAll("[data-push]:not([data-push-ready])").forEach(setUp);
  }

  setUpAll();
  // The settings form is sent with htmx, which puts a new copy of the page's main part in place.
  document.addEventListener("htmx:afterSettle", setUpAll);
})();
