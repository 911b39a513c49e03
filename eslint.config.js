// ESLint for our own front-end scripts (`make lint`). They are classic <script src> files, not
// modules: each wraps itself in a function and shares only what it puts on window. static/vendor/
// is copied from npm by `make assets` and is not ours to lint.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

// Service worker scripts: the worker itself, and the push handlers it loads with importScripts.
const SERVICE_WORKERS = ["static/sw.js", "static/js/sw-push.js"];

module.exports = [
  { ignores: ["static/vendor/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "script" },
    rules: {
      // Our scripts are plain ES5, where `catch` must name the error even when it goes unused (a
      // bare `catch {` is ES2019). Every other unused name is still an error.
      "no-unused-vars": ["error", { caughtErrors: "none" }]
    }
  },
  {
    files: ["static/js/*.js"],
    ignores: SERVICE_WORKERS,
    // htmx and rrweb are reached through window (window.rrweb, htmx:* events), so they need no globals.
    languageOptions: { globals: { ...globals.browser } }
  },
  {
    files: SERVICE_WORKERS,
    // CONFIG is put in front of static/sw.js by portal/pwa/service.py; the file declares it itself.
    languageOptions: { globals: { ...globals.serviceworker } }
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } }
  }
];
