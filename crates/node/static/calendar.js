// The reporting calendar, live: listens to the node's cut-off events
// (server-sent, /unit/<id>/calendar/events) and, at each, asks htmx to
// fetch the grid again and swap it in. No inline script: the
// Content-Security-Policy forbids it.
(function () {
  "use strict";
  var page = document.getElementById("calendar");
  if (!page || typeof EventSource === "undefined" || typeof htmx === "undefined") {
    return;
  }
  var updates = 0;
  var source = new EventSource(page.getAttribute("data-events"));
  source.addEventListener("open", function () {
    page.setAttribute("data-live", "open");
  });
  source.addEventListener("cutoff", function () {
    var grid = document.getElementById("calendar-grid");
    if (grid) {
      htmx.trigger(grid, "cutoff");
    }
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    updates += 1;
    page.setAttribute("data-updates", String(updates));
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
