// The portal's service worker, served at /sw.js (portal/pwa/routes.py), which puts CONFIG in front
// of this file: the release version, the URLs to store, and the offline page for each language.
//
// What it stores: our styles and scripts, and the offline page. Nothing else, ever: pages go to the
// network, and so does everything that is not a static file. When a page cannot load because the
// device is offline, it shows the offline page in the reader's language.
//
// A new release is a new version, so a new cache; the old caches are deleted when it takes over.
// Signing out deletes every cache too (and the server sends Clear-Site-Data).
/* global CONFIG */
"use strict";

// Push notification handlers live in their own file.
importScripts("/static/js/sw-push.js");

var CACHE = "portal-" + CONFIG.version;
var clearing = Promise.resolve();

function offlineUrls() {
  return Object.keys(CONFIG.offline).map(function (code) { return CONFIG.offline[code]; });
}

function fill() {
  return caches.open(CACHE).then(function (cache) { return cache.addAll(CONFIG.precache); });
}

// After signing out (or if the browser emptied the cache), store the public files again, so the
// offline page keeps working.
function refillIfEmptied() {
  return clearing.then(function () {
    return caches.open(CACHE);
  }).then(function (cache) {
    return Promise.all(offlineUrls().map(function (url) { return cache.match(url); }));
  }).then(function (found) {
    if (found.some(function (response) { return !response; })) return fill();
  });
}

function deleteCaches(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== keep; })
      .map(function (name) { return caches.delete(name); }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(fill().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(deleteCaches(CACHE).then(function () { return self.clients.claim(); }));
});

// The reader's language: the one they are switching to, else the one they chose (the language
// cookie, where the browser lets us read it), else their browser's, else the default.
function languageFor(url) {
  var known = function (code) { return Object.prototype.hasOwnProperty.call(CONFIG.offline, code); };
  var switching = url.pathname.match(/^\/language\/([a-z]+)$/);
  if (switching && known(switching[1])) return Promise.resolve(switching[1]);
  var fromBrowser = function () {
    var preferred = (self.navigator.languages || []).map(function (tag) {
      return tag.split("-")[0].toLowerCase();
    }).filter(known);
    return preferred.length ? preferred[0] : CONFIG.fallbackLanguage;
  };
  if (!self.cookieStore) return Promise.resolve(fromBrowser());
  return self.cookieStore.get(CONFIG.languageCookie).then(function (cookie) {
    return cookie && known(cookie.value) ? cookie.value : fromBrowser();
  }, fromBrowser);
}

function offlinePage(url) {
  return languageFor(url).then(function (language) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(CONFIG.offline[language]).then(function (page) {
        return page || cache.match(CONFIG.offline[CONFIG.fallbackLanguage]);
      });
    });
  }).then(function (page) {
    return page || Response.error();  // Nothing stored: the browser shows its own offline page.
  });
}

function isStatic(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname === "/theme.css";
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (stored) {
      return stored || fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/sign-out") {
    // The request itself goes to the server untouched (so its Clear-Site-Data header works).
    clearing = deleteCaches(null);
    event.waitUntil(clearing);
    return;
  }
  if (request.method !== "GET") return;  // Forms go straight to the server, as if we were not here.
  if (request.mode === "navigate") {
    var network = fetch(request);
    event.respondWith(network.catch(function () { return offlinePage(url); }));
    event.waitUntil(network.then(refillIfEmptied).catch(function () {}));
    return;
  }
  if (isStatic(url)) event.respondWith(cacheFirst(request));
  // Anything else (pages' data, live updates, downloads) the browser fetches itself; nothing is kept.
});
