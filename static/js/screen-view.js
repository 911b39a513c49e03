/* The adviser's live view of a customer's screen (portal/cobrowse/, templates/cobrowse/adviser_view.html).

   Plays the customer's recorded (already masked) page with rrweb's Replayer in live mode, inside a
   sandboxed frame that inherits this page's Content Security Policy: stylesheets stay links to our own
   files and the replayer's own rules go in through the CSS object model, so nothing inline is needed.
   Shows which field the customer is in, and lets the adviser point at something: click it, or Tab to it
   inside the view and press Enter. */
(function () {
  "use strict";
  var view = document.querySelector("[data-screen-view]");
  if (!view || !window.rrweb || !window.EventSource) return;

  var statusBox = document.getElementById("screen-status");
  var pointedBox = document.getElementById("screen-pointed");
  var FOCUS_EVENT = 5;  // rrweb: a mouse-interaction event whose type is Focus.
  var BLUR_EVENT = 6;
  var replayer = null;
  var focused = null;
  var lastTime = 0;
  var currentView = null;  // The customer's page being shown (see share-screen.js).

  // The recording names the customer's own stylesheets and pictures by full address. This page may be
  // served from another address (another app process, a staff host): loading them from there would be
  // refused by the policy, so they are loaded from here by path, being the same files.
  var customerOrigin = null;
  var URL_ATTRIBUTES = ["href", "src"];

  function localise(attributes) {
    if (!attributes || !customerOrigin) return;
    URL_ATTRIBUTES.forEach(function (name) {
      var value = attributes[name];
      if (typeof value === "string" && value.indexOf(customerOrigin + "/") === 0) {
        attributes[name] = value.slice(customerOrigin.length);
      }
    });
  }

  function localiseTree(node) {
    localise(node.attributes);
    (node.childNodes || []).forEach(localiseTree);
  }

  function localiseEvent(event) {
    var data = event.data || {};
    if (event.type === 4 && data.href) customerOrigin = new URL(data.href).origin;
    if (event.type === 2 && data.node) localiseTree(data.node);
    if (event.type === 3 && data.source === 0) {
      (data.adds || []).forEach(function (added) { localiseTree(added.node); });
      (data.attributes || []).forEach(function (changed) { localise(changed.attributes); });
    }
    return event;
  }

  function stamp(event) {
    // Play each change as it arrives: the customer's clock may differ from this one.
    lastTime = Math.max(Date.now(), lastTime + 1);
    event.timestamp = lastTime;
    return event;
  }

  function showFocus(event) {
    var data = event.data || {};
    var kind = null;
    if (event.type === 3 && data.source === 2) kind = data.type;
    // A private field says so itself, as a custom event (share-screen.js).
    if (event.type === 5 && data.payload) kind = {focus: FOCUS_EVENT, blur: BLUR_EVENT}[data.tag];
    if (kind !== FOCUS_EVENT && kind !== BLUR_EVENT) return;
    if (focused) focused.classList.remove("cobrowse-focused");
    focused = null;
    if (kind === FOCUS_EVENT) {
      var node = replayer.getMirror().getNode(event.type === 5 ? data.payload.id : data.id);
      if (node && node.classList) {
        node.classList.add("cobrowse-focused");
        focused = node;
      }
    }
  }

  function point(target) {
    var mirror = replayer.getMirror();
    var node = target;
    while (node && mirror.getId(node) < 1) node = node.parentNode;
    if (!node) return;
    var body = new URLSearchParams({node: String(mirror.getId(node)), view: currentView || ""});
    fetch(view.getAttribute("data-point"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRF-Token": view.getAttribute("data-csrf")}
    }).then(function (response) {
      if (!response.ok) return;
      var name = (node.textContent || node.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim();
      pointedBox.textContent = view.getAttribute("data-pointed").replace("{name}", name.slice(0, 80));
    });
  }

  // The replayed page is a copy: nothing in it may navigate or submit. Clicking points instead.
  function onClick(event) {
    event.preventDefault();
    point(event.target);
  }
  function onSubmit(event) { event.preventDefault(); }
  function onKey(event) {
    if (event.key === "Enter") {
      event.preventDefault();
      point(event.target);
    }
  }

  function watchClicks() {
    // Each new page may bring a new document; adding the same listener again does nothing.
    var doc = replayer.iframe.contentDocument;
    if (!doc) return;
    doc.addEventListener("click", onClick, true);
    doc.addEventListener("submit", onSubmit, true);
    doc.addEventListener("keydown", onKey, true);
  }

  function start() {
    replayer = new window.rrweb.Replayer([], {
      root: view,
      liveMode: true,
      // Changes go straight into the frame: the virtual DOM is only written out when replaying a
      // recording, never in live mode.
      useVirtualDom: false,
      // Showing where the customer is must not move the adviser's own focus into the frame.
      triggerFocus: false,
      pauseAnimation: false,
      mouseTail: false,
      showWarning: false,
      UNSAFE_replayCanvas: false
    });
    // The replayer adds its rules in an empty <style> element, which the policy refuses; our own
    // stylesheet, a file like any other, carries them instead.
    replayer.insertStyleRules = function (documentElement, head) {
      var link = documentElement.ownerDocument.createElement("link");
      link.rel = "stylesheet";
      link.href = view.getAttribute("data-frame-css");
      documentElement.insertBefore(link, head);
    };
    replayer.startLive();
    replayer.enableInteract();
    replayer.iframe.setAttribute("title", view.getAttribute("data-frame-title"));
    replayer.on("event-cast", showFocus);
    replayer.on("fullsnapshot-rebuilded", watchClicks);
  }

  function stop() {
    if (replayer) {
      replayer.destroy();
      replayer = null;
    }
    view.textContent = "";
    view.hidden = true;
  }

  function play(message) {
    var batch = JSON.parse(message.data);
    var events = batch.events || [];
    var newPage = events.some(function (event) { return event.type === 4; });
    if (newPage) currentView = batch.view;
    else if (batch.view !== currentView) return;  // Late changes from a page the customer has left.
    for (var i = 0; i < events.length; i++) {
      if (!replayer) {
        if (events[i].type !== 4) continue;  // Start from the beginning of a page (its Meta event).
        start();
      }
      replayer.addEvent(stamp(localiseEvent(events[i])));
    }
  }

  function listen() {
    var source = new EventSource(view.getAttribute("data-events"));
    source.addEventListener("frames", play);
    source.addEventListener("status", function (message) {
      statusBox.innerHTML = message.data;
    });
    source.addEventListener("ended", function () {
      source.close();
      stop();
    });
  }

  // The replayer opens the frame's document and never closes it: begun before this page has loaded,
  // it would keep this page from ever finishing loading.
  if (document.readyState === "complete") listen();
  else window.addEventListener("load", listen);
})();
