// Live progress of an experiment page: polls the experiment's API about once a
// second while variants run, updates each row's status, time and computed /
// reused counts and the progress bar, and reloads once when all have finished.
(function () {
  "use strict";
  var script = document.currentScript;
  if (script.dataset.active !== "1") return;
  var url = script.dataset.url;

  function seconds(value) {
    if (value === null || value === undefined) return "…";
    return value < 120 ? value.toFixed(1) + " s" : Math.floor(value / 60) + " min " + Math.round(value % 60) + " s";
  }

  function paint(body) {
    body.variants.forEach(function (v) {
      var row = document.querySelector('tr[data-variant="' + v.position + '"]');
      if (!row) return;
      var badge = row.querySelector('[data-cell="status"]');
      badge.className = "badge " + v.status;
      badge.textContent = v.status;
      row.querySelector('[data-cell="seconds"]').textContent = seconds(v.seconds);
      row.querySelector('[data-cell="compute_seconds"]').textContent = seconds(v.compute_seconds);
      var counts = row.querySelector('[data-cell="counts"]');
      counts.children[0].textContent = v.computed;
      counts.children[1].textContent = v.reused;
    });
    var total = body.variants.length;
    var bar = document.getElementById("experiment-progress");
    bar.firstElementChild.style.width = (total ? Math.round(100 * body.done / total) : 0) + "%";
    bar.setAttribute("aria-valuenow", body.done);
    document.getElementById("experiment-progress-text").textContent = body.done + " of " + total;
    document.getElementById("experiment-status").textContent = body.status;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { setTimeout(poll, 3000); return; }
        paint(body);
        if (body.active) setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
