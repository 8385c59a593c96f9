// Live progress of an experiment page: polls the experiment's API about once a
// second while variants run, updates each row's status, time and computed /
// reused counts and the progress bar, and reloads once when all have finished.
// On a data set with a target it also waits (a minute at most) for the
// succeeded variants' runs to be scored, so the page reloads with its charts.
(function () {
  "use strict";
  var script = document.currentScript;
  var active = script.dataset.active === "1";
  var scoring = script.dataset.scoring === "1";
  if (!active && !scoring) return;
  var url = script.dataset.url;
  var waits = 0;

  function unscored(body) {
    return body.variants.some(function (v) {
      return v.status === "succeeded" && Object.keys(v.metrics).length === 0;
    });
  }

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
        else if (scoring && unscored(body)) {
          // Still unscored after a minute: stop, and reload only if the page
          // was drawn while variants ran (else it would reload forever).
          if (++waits < 60) setTimeout(poll, 1000);
          else if (active) window.location.reload();
        } else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
