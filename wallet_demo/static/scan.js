// Scans a QR code (an offer or a presentation request) with the camera where the browser can
// (getUserMedia + BarcodeDetector), fills the link field and submits the form. The box names its
// form and field (data-form, data-field). Without a camera the page works as it is: paste the
// link or choose a picture of the QR code (decoded by the wallet itself).
(function () {
  "use strict";
  var box = document.getElementById("scan");
  if (!box) { return; }
  var form = document.getElementById(box.getAttribute("data-form") || "offer-form");
  var field = document.getElementById(box.getAttribute("data-field") || "offer-link");
  if (!box || !form || !field) { return; }
  var media = navigator.mediaDevices;
  if (!("BarcodeDetector" in window) || !media || !media.getUserMedia) { return; }
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stream = null;
  var timer = null;
  box.hidden = false;

  function say(key) { status.textContent = status.getAttribute(key) || ""; }

  function halt() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function looksLikeOffer(text) {
    return /^(openid-credential-offer:|openid4vp:|https?:\/\/)/i.test(text);
  }

  function scan(detector) {
    detector.detect(video).then(function (codes) {
      var found = codes.map(function (c) { return c.rawValue; }).filter(looksLikeOffer)[0];
      if (found) {
        halt();
        field.value = found;
        form.submit();
        return;
      }
      timer = setTimeout(function () { scan(detector); }, 250);
    }, function () {
      timer = setTimeout(function () { scan(detector); }, 500);
    });
  }

  start.addEventListener("click", function () {
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      say("data-unavailable");
      return;
    }
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      start.hidden = true;
      stop.hidden = false;
      stop.focus();
      say("data-scanning");
      return video.play().then(function () { scan(detector); });
    }).catch(function () {
      halt();
      say("data-unavailable");
    });
  });
  stop.addEventListener("click", function () { halt(); start.focus(); });
  window.addEventListener("pagehide", halt);
})();
