// Live screen: taps arrive over Server-Sent Events; EventSource reconnects by itself.
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  var statusBar = document.getElementById("status");
  var idleHtml = document.getElementById("idle").innerHTML;
  var blockingHtml = "";
  var timer = null;

  function show(name, html) {
    screen.innerHTML = html;
    screen.dataset.screen = name;
  }
  function showIdle() {
    timer = null;
    if (blockingHtml) { show("reader_missing", blockingHtml); } else { show("idle", idleHtml); }
  }
  function connect() {
    // The page token binds this stream to this page (a tap's secrets reach only the kiosk's own).
    var source = new EventSource("/events?page=" + encodeURIComponent(document.body.dataset.page || ""));
    function onScreen(e) {
      var data = JSON.parse(e.data);
      show(data.screen, data.html);
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(showIdle, (data.screen === "pin_entry" ? 60 : (data.timeout || 20)) * 1000);
    }
    source.addEventListener("screen", onScreen);
    source.addEventListener("notice", onScreen);  // a message for this screen only
    source.addEventListener("status", function (e) {
      var data = JSON.parse(e.data);
      statusBar.innerHTML = data.html;
      blockingHtml = data.blocking || "";
      var slot = document.getElementById("printer-notice-slot");
      if (slot) { slot.innerHTML = data.printer_notice || ""; }
      document.body.dataset.connected = "yes";
      if (!timer) { showIdle(); }
    });
    source.addEventListener("queue", function (e) {
      var band = document.getElementById("call-band");
      if (band) { band.innerHTML = JSON.parse(e.data).band; }
    });
    source.addEventListener("call", function (e) {
      if (window.KioskCalls) { window.KioskCalls.enqueue(JSON.parse(e.data)); }
    });
    source.onerror = function () { document.body.dataset.connected = "no"; };
  }
  // PIN keypad (its form arrives as HTML over SSE, so listen on the document).
  document.addEventListener("click", function (e) {
    var key = e.target.closest ? e.target.closest(".key[data-key]") : null;
    if (!key) { return; }
    var pin = document.getElementById("pin");
    if (!pin) { return; }
    if (key.dataset.key === "clear") { pin.value = ""; }
    else if (pin.value.length < 8) { pin.value += key.dataset.key; }
    if (timer) { clearTimeout(timer); timer = setTimeout(showIdle, 60000); }
  });
  if (screen.dataset.initial === "yes") {
    timer = setTimeout(showIdle, parseInt(document.body.dataset.idleSeconds || "20", 10) * 1000);
  }
  connect();
})();
