// Small enhancements; every page works without them.
(function () {
  "use strict";
  // Refuse an oversized file before it is sent, with the message the server would give.
  var form = document.querySelector("form[data-upload-limit]");
  if (form) {
    var limit = Number(form.getAttribute("data-upload-limit"));
    var file = form.querySelector("input[type=file]");
    var warning = document.getElementById("file-too-large");
    var tooLarge = function () {
      return file.files.length > 0 && file.files[0].size > limit;
    };
    file.addEventListener("change", function () { warning.hidden = !tooLarge(); });
    form.addEventListener("submit", function (event) {
      if (tooLarge()) {
        event.preventDefault();
        warning.hidden = false;
        file.focus();
      }
    });
  }
  // A request to a wallet: ask the server every two seconds whether the answer came, then show it.
  var waiting = document.querySelector("[data-status-url][data-state=pending]");
  if (waiting) {
    var poll = function () {
      fetch(waiting.getAttribute("data-status-url"), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {state: "gone"}; })
        .then(function (body) {
          if (body.state === "pending") { window.setTimeout(poll, 2000); } else { window.location.reload(); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 2000);
  }
  // The print button only makes sense with a script; without one the browser's menu prints.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
