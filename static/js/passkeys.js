// Passkey ceremonies. The options come from the server as JSON and go straight into the browser's
// parse*OptionsFromJSON; the credential's toJSON() goes straight back. Messages are the page's own
// translated words (data-message-*), spoken through a status region without moving focus.
(function () {
  "use strict";

  var supported = window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  var postJSON = window.portal.postJSON;  // From portal.js, loaded first on every page.

  function explain(box, status, error) {
    if (error && error.fromServer) {
      status.textContent = error.message;
    } else if (error && error.name === "InvalidStateError" && box.dataset.messageExists) {
      status.textContent = box.dataset.messageExists;
    } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      status.textContent = box.dataset.messageCancelled;
    } else {
      status.textContent = box.dataset.messageFailed;
    }
  }

  function withNext(url, next) {
    return next ? url + "?next=" + encodeURIComponent(next) : url;
  }

  function setUpRegistration(box) {
    var button = box.querySelector("[data-passkey-button]");
    var status = box.querySelector("[data-passkey-status]");
    var busy = false;  // Not `disabled`: a disabled button drops keyboard focus to the page.
    box.hidden = false;
    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      status.textContent = box.dataset.messageWorking;
      postJSON("/webauthn/register/options", {}, box.dataset.csrf)
        .then(function (options) {
          var publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
          return navigator.credentials.create({ publicKey: publicKey });
        })
        .then(function (credential) {
          return postJSON(withNext("/webauthn/register/verify", box.dataset.next), credential.toJSON(), box.dataset.csrf);
        })
        .then(function (result) { window.location.assign(result.redirect); })
        .catch(function (error) { explain(box, status, error); busy = false; });
    });
  }

  function signIn(box, mediation, signal) {
    return postJSON("/webauthn/authenticate/options", {}, box.dataset.csrf)
      .then(function (options) {
        var request = { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey) };
        if (mediation) request.mediation = mediation;
        if (signal) request.signal = signal;
        return navigator.credentials.get(request);
      })
      .then(function (credential) {
        return postJSON(withNext("/webauthn/authenticate/verify", box.dataset.next), credential.toJSON(), box.dataset.csrf);
      })
      .then(function (result) { window.location.assign(result.redirect); });
  }

  function setUpSignIn(box) {
    var button = box.querySelector("[data-passkey-button]");
    var status = box.querySelector("[data-passkey-status]");
    var autofill = null;
    var busy = false;
    box.hidden = false;

    // Passkeys offered in the field's autofill list, for those whose browser can.
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) return;
        autofill = new AbortController();
        signIn(box, "conditional", autofill.signal).catch(function (error) {
          if (error && error.name !== "AbortError") explain(box, status, error);
        });
      });
    }

    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      if (autofill) autofill.abort();
      status.textContent = box.dataset.messageWorking;
      signIn(box).catch(function (error) { explain(box, status, error); busy = false; });
    });
  }

  if (!supported) return;
  document.querySelectorAll("[data-passkey-unavailable]").forEach(function (note) { note.hidden = true; });
  document.querySelectorAll("[data-passkey-register]").forEach(setUpRegistration);
  document.querySelectorAll("[data-passkey-sign-in]").forEach(setUpSignIn);
})();
