// Live messages and chat (templates/help/messages_thread.html, chat_room.html). Everything works
// without this file: the pages have plain forms and a "Refresh to see new messages" link. With it:
// - a message that arrives twice (a reconnect, or the send form and the live stream both bringing
//   it) is shown once;
// - live updates never move focus (portal.js moves focus to the heading after other swaps in main);
// - after sending a chat message, focus goes back to the message box, ready for the next one;
// - "Dewi is typing…" goes away when they stop;
// - the "Refresh to see new messages" link is hidden while live updates work.
(function () {
  "use strict";

  var TYPING_SHOWN_MS = 6000;
  var typingTimer = null;

  function withoutDuplicates(container) {
    Array.prototype.slice.call(container.children).forEach(function (item) {
      if (item.id && document.getElementById(item.id)) item.remove();
    });
    return container;
  }

  // New messages from the live stream: drop any already on the page, then let htmx add the rest.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var list = event.target;
    if (!list.hasAttribute || !list.hasAttribute("data-conversation-list")) return;
    var template = document.createElement("template");
    template.innerHTML = event.detail.data;
    var all = template.content.children.length;
    withoutDuplicates(template.content);
    if (template.content.children.length === all) return;
    event.preventDefault();
    Array.prototype.slice.call(template.content.children).forEach(function (item) {
      list.appendChild(item);
    });
  });

  // The chat form's answer also brings the sent message, in case the live stream is slow or down.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-conversation-list")) {
      withoutDuplicates(event.detail.fragment);
    }
  });

  // Capture phase, so this runs before portal.js's focus handler on the document.
  document.addEventListener("htmx:afterSettle", function (event) {
    var settled = event.target;
    if (!settled.closest || !settled.closest("[data-conversation]")) return;
    event.stopPropagation();
    if (settled.id === "chat-form") {
      var box = settled.querySelector("textarea");
      if (box) box.focus();
    }
  }, true);

  function showRefreshLink(show) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh-link]"), function (link) {
      link.hidden = !show;
    });
  }
  document.addEventListener("htmx:sseOpen", function () { showRefreshLink(false); });
  document.addEventListener("htmx:sseError", function () { showRefreshLink(true); });

  document.addEventListener("htmx:sseMessage", function (event) {
    var typing = event.target;
    if (!typing.hasAttribute || !typing.hasAttribute("data-typing")) return;
    if (typingTimer) window.clearTimeout(typingTimer);
    if (!typing.textContent.trim()) return;
    typingTimer = window.setTimeout(function () {
      typing.textContent = "";
      typingTimer = null;
    }, TYPING_SHOWN_MS);
  });
})();
