// Live status of a run page: asks the cheap status endpoint about once a second
// while the run is active, each request waiting on the server for the run's end
// for up to that second (?wait=1), so the end shows as it happens; recolours the
// graph's nodes, moves the progress bar, and reloads the page once when the run
// ends (to show outputs, errors and metrics).
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script.dataset.statusUrl;
  var POLL_MS = 1000;
  var waitUrl = url + (url.indexOf("?") < 0 ? "?" : "&") + "wait=" + POLL_MS / 1000;
  if (script.dataset.active !== "1") return;

  function seconds(value) {
    return value < 120 ? value.toFixed(1) + " s" : Math.floor(value / 60) + " min " + Math.round(value % 60) + " s";
  }

  function paint(status) {
    Object.keys(status.nodes).forEach(function (node) {
      var state = status.nodes[node];
      var box = document.querySelector('g[data-node="' + CSS.escape(node) + '"]');
      if (box) {
        box.setAttribute("class", "node st-" + state);
        var label = box.querySelector(".node-status");
        if (label) label.textContent = state;
      }
      var badge = document.querySelector('[data-node-status="' + CSS.escape(node) + '"]');
      if (badge) { badge.className = "badge " + state; badge.textContent = state; }
    });
    var percent = status.total ? Math.round(100 * status.done / status.total) : 0;
    var bar = document.getElementById("run-progress");
    bar.firstElementChild.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", status.done);
    document.getElementById("run-progress-text").textContent = status.done + " of " + status.total;
    document.getElementById("run-elapsed").textContent = seconds(status.elapsed);
    var badge = document.getElementById("run-status");
    badge.className = "badge " + status.status;
    badge.textContent = status.status;
  }

  function poll() {
    var asked = Date.now();
    fetch(waitUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { setTimeout(poll, 3000); return; }
        paint(status);
        // A labelled run is scored after its last node: wait for the metrics too.
        // The next look soon after a request that waited; else (the
        // server's waiting slots were taken, or the run is being scored)
        // after the rest of the second.
        if (status.active || (status.scoring && status.status === "succeeded")) {
          setTimeout(poll, Math.max(50, POLL_MS - (Date.now() - asked)));
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
