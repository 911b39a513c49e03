/* Sharing this screen with an adviser (portal/cobrowse/). Only on pages of a browser whose customer said
   yes; the banner (templates/cobrowse/_banner.html) carries the words and the token.

   Records the page with rrweb and sends the changes to the portal in small batches. Masking happens
   here, before anything is sent: passwords, one-time codes, payment details, the words of messages,
   anything marked data-private, and our own tokens are recorded as empty blocks of the same size, so
   they never leave this browser. Also shows and announces what the adviser points at; F2 goes to it. */
(function () {
  "use strict";
  var banner = document.querySelector("[data-share-screen]");
  if (!banner || !window.rrweb || !window.fetch || !window.EventSource) return;

  var PRIVATE = [
    "input[type=password]", "[autocomplete=one-time-code]", "[autocomplete^=cc-]", "input[name=code]",
    "input[name$=_code]", "textarea", "[data-private]", "input[type=hidden]", "[data-csrf]",
    "[data-share-screen]",
    // Anything a browser extension adds around our page (some quote what was typed): only our own
    // parts of the page are shown.
    "html > :not(head, body)",
    "body > :not(.skip-link, .share-banner, .site-header, .width-container, .session-warning, .site-footer)"
  ].join(",");
  var MOST_PER_BATCH = 500;
  var ACTIVE_EVERY_MS = 5000;
  var SEND_EVERY_MS = 500;
  var STILL_HERE_EVERY_MS = 20000;

  var csrf = banner.getAttribute("data-csrf");
  var announce = banner.querySelector("[data-share-announce]");
  var jumpButton = banner.querySelector("[data-share-jump]");
  var stopForm = banner.querySelector("[data-share-stop]");
  var waiting = [];
  var sending = false;
  var lastSent = 0;
  var stopRecording = null;
  var pointed = null;
  // This page's own name for itself: rrweb numbers a page's parts from 1 again on every page, so the
  // adviser's view drops late changes from a page the customer has left, and pointing names the page
  // it means.
  var view = Array.prototype.map.call(window.crypto.getRandomValues(new Uint8Array(8)), function (byte) {
    return (byte + 256).toString(16).slice(1);
  }).join("");

  function send(keepalive) {
    if (sending || !stopRecording) return;
    var batch = waiting.splice(0, MOST_PER_BATCH);
    sending = true;
    lastSent = Date.now();
    fetch("/help/share-screen/frames", {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({view: view, events: batch})
    }).then(function (response) {
      sending = false;
      if (response.ok) return;
      if ([401, 403, 404, 409].indexOf(response.status) >= 0) ended();
      else if (response.status === 400 || response.status === 413) {
        // Refused as too big or not right: start again from the whole page rather than retry it,
        // unless the whole page itself was refused (then there is nothing better to send).
        var wholePage = batch.some(function (event) { return event.type === 2; });
        waiting = [];
        if (wholePage) ended();
        else window.rrweb.record.takeFullSnapshot(true);
      } else waiting = batch.concat(waiting);  // Try again with the next batch.
    }, function () {
      sending = false;
      waiting = batch.concat(waiting);
    });
  }

  function pageName() {
    var heading = document.querySelector("main h1");
    if (heading && !heading.closest(PRIVATE)) return heading.textContent.trim();
    return document.title.split(" – ")[0];
  }

  function ended() {
    if (stopRecording) stopRecording();
    stopRecording = null;
    waiting = [];
    if (stopForm) stopForm.hidden = true;
    clearPointer();
    var words = banner.getAttribute("data-ended");
    var title = banner.querySelector(".share-banner__text");
    if (title) title.textContent = words;
    if (announce) say(words);
  }

  function say(words) {
    // Emptied first, so the same words said again are read out again.
    announce.textContent = "";
    setTimeout(function () { announce.textContent = words; }, 100);
  }

  // What the adviser points at: outlined, read out politely by name, and one key (F2) away.

  function nameOf(element) {
    var label = element.getAttribute("aria-label");
    var labelledBy = element.getAttribute("aria-labelledby");
    if (!label && labelledBy) {
      label = labelledBy.split(/\s+/).map(function (id) {
        var part = document.getElementById(id);
        return part ? part.textContent : "";
      }).join(" ");
    }
    if (!label && element.labels && element.labels.length) label = element.labels[0].textContent;
    if (!label) label = element.getAttribute("alt") || element.getAttribute("title") || element.textContent;
    label = (label || "").replace(/\s+/g, " ").trim();
    return label.length > 80 ? label.slice(0, 77) + "…" : label;
  }

  function clearPointer() {
    if (pointed) pointed.classList.remove("share-pointed");
    pointed = null;
    if (jumpButton) jumpButton.hidden = true;
  }

  function pointAt(nodeId) {
    var node = window.rrweb.record.mirror.getNode(nodeId);
    var element = node && node.nodeType === 1 ? node : node && node.parentElement;
    if (!element || !document.body.contains(element) || element.closest("[data-share-screen]")) return;
    clearPointer();
    pointed = element;
    element.classList.add("share-pointed");
    var name = nameOf(element);
    say(name ? banner.getAttribute("data-pointing").replace("{name}", name)
             : banner.getAttribute("data-pointing-unnamed"));
    if (jumpButton) jumpButton.hidden = false;
  }

  function jump() {
    if (!pointed) return;
    var focusable = pointed.matches("a[href], button, input, select, textarea, summary, [tabindex]");
    if (!focusable) {
      pointed.setAttribute("tabindex", "-1");
      pointed.addEventListener("blur", function () { this.removeAttribute("tabindex"); }, {once: true});
    }
    pointed.scrollIntoView({block: "center"});
    pointed.focus({preventScroll: true});
  }

  if (jumpButton) jumpButton.addEventListener("click", jump);
  document.addEventListener("keydown", function (event) {
    if (event.key === "F2" && pointed && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      jump();
    }
  });

  var events = new EventSource("/help/share-screen/events");
  events.addEventListener("point", function (event) {
    var data = JSON.parse(event.data);
    if (data.view === view) pointAt(data.node);  // Not on a page the customer has since left.
  });
  events.addEventListener("ended", function () { events.close(); ended(); });

  // Private parts carry rrweb's block class too, so the adviser's copy can show them as patterned
  // blocks (a blocked element keeps only its class and size). Parts added later get it as they come.
  function markPrivate(root) {
    if (root.matches(PRIVATE)) root.classList.add("rr-block");
    root.querySelectorAll(PRIVATE).forEach(function (element) { element.classList.add("rr-block"); });
  }
  markPrivate(document.documentElement);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) { if (node.nodeType === 1) markPrivate(node); });
    });
  }).observe(document.documentElement, {childList: true, subtree: true});

  stopRecording = window.rrweb.record({
    emit: function (event) {
      // The address without its query or fragment: a link may carry a code in it.
      if (event.type === 4 && event.data) event.data.href = location.origin + location.pathname;
      waiting.push(event);
    },
    blockSelector: PRIVATE,
    maskAllInputs: false,
    maskInputOptions: {password: true},
    // Stylesheets stay links to our own files, which the adviser's page loads under the same policy.
    inlineStylesheet: false,
    inlineImages: false,
    collectFonts: false,
    recordCanvas: false,
    slimDOMOptions: {script: true, comment: true, headFavicon: true, headMetaSocial: true,
                     headMetaRobots: true, headMetaHttpEquiv: true, headMetaVerification: true},
    sampling: {mousemove: 100, scroll: 150}
  }) || null;
  if (!stopRecording) return;
  var lastTitle = pageName();
  window.rrweb.record.addCustomEvent("page", {title: lastTitle});
  // A page whose main part htmx replaced (a form sent, a page of a list) is a new page to name.
  document.addEventListener("htmx:afterSettle", function () {
    var title = pageName();
    if (stopRecording && title !== lastTitle) {
      lastTitle = title;
      window.rrweb.record.addCustomEvent("page", {title: title});
    }
  });

  // rrweb says nothing when a private field gets focus; the adviser should still see where the customer is
  // (as the block, never what is in it).
  function recordedPrivate(element) {
    var mirror = window.rrweb.record.mirror;
    var found = null;
    for (var node = element; node && node.nodeType === 1; node = node.parentElement) {
      if (node.matches(PRIVATE) && mirror.getId(node) > 0) found = node;
    }
    return found;
  }
  var lastActive = 0;
  document.addEventListener("input", function (event) {
    // Typing in a private field is still doing something, though nothing of it is recorded.
    if (stopRecording && Date.now() - lastActive > ACTIVE_EVERY_MS && recordedPrivate(event.target)) {
      lastActive = Date.now();
      window.rrweb.record.addCustomEvent("active", {});
    }
  }, true);
  // Where the customer already is when the page opens (a field focused on load, or after a swap).
  if (document.activeElement && document.activeElement !== document.body) {
    var already = recordedPrivate(document.activeElement) || document.activeElement;
    var startId = window.rrweb.record.mirror.getId(already);
    if (startId > 0) window.rrweb.record.addCustomEvent("focus", {id: startId});
  }
  ["focusin", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var block = stopRecording && recordedPrivate(event.target);
      if (block) {
        window.rrweb.record.addCustomEvent(type === "focusin" ? "focus" : "blur",
                                           {id: window.rrweb.record.mirror.getId(block)});
      }
    }, true);
  });

  setInterval(function () {
    if (waiting.length || Date.now() - lastSent > STILL_HERE_EVERY_MS) send();
  }, SEND_EVERY_MS);
  window.addEventListener("pagehide", function () { if (waiting.length) send(true); });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopRecording) window.rrweb.record.takeFullSnapshot(true);
  });
})();
