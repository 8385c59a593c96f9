// Drag-and-drop for the model upload form: the dropped file goes into the
// form's own <input type=file>, so the form still works without this script.
(function () {
  "use strict";
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = document.getElementById(zone.dataset.input);
    var nameOut = zone.querySelector("[data-dropzone-name]");
    var errorOut = zone.parentNode.querySelector("[data-dropzone-error]");
    var maxBytes = parseInt(zone.dataset.maxBytes || "0", 10);
    if (!input) { return; }

    function show(file) {
      nameOut.textContent = file ? file.name + " (" + Math.ceil(file.size / 1024) + " KB)" : "";
      errorOut.hidden = true;
      errorOut.textContent = "";
      if (file && maxBytes && file.size > maxBytes) {
        var li = document.createElement("li");
        li.textContent = "The file is " + (file.size / 1048576).toFixed(1) +
          " MB; the upload limit is " + Math.round(maxBytes / 1048576) + " MB.";
        errorOut.appendChild(li);
        errorOut.hidden = false;
      }
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      show(files[0]);
    });
    input.addEventListener("change", function () { show(input.files[0]); });
  });
})();
