/* /help/share-screen: the panel (#share-state) changes live when an adviser enters the code. Its polite
   region reads the question out without moving anyone; but if focus was inside the old panel (on
   "Cancel the code", say), it would be lost with it, so it moves to the new panel's heading. */
(function () {
  "use strict";
  var panel = document.getElementById("share-state");
  if (!panel) return;
  var hadFocus = false;
  panel.addEventListener("htmx:sseBeforeMessage", function () {
    hadFocus = panel.contains(document.activeElement);
  });
  panel.addEventListener("htmx:sseMessage", function () {
    var heading = panel.querySelector("h2");
    if (!hadFocus || !heading || panel.contains(document.activeElement)) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  });
})();
