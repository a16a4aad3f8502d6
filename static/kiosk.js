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
    var source = new EventSource("/events");
    source.addEventListener("screen", function (e) {
      var data = JSON.parse(e.data);
      show(data.screen, data.html);
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(showIdle, (data.timeout || 20) * 1000);
    });
    source.addEventListener("status", function (e) {
      var data = JSON.parse(e.data);
      statusBar.innerHTML = data.html;
      blockingHtml = data.blocking || "";
      var slot = document.getElementById("printer-notice-slot");
      if (slot) { slot.innerHTML = data.printer_notice || ""; }
      document.body.dataset.connected = "yes";
      if (!timer) { showIdle(); }
    });
    source.onerror = function () { document.body.dataset.connected = "no"; };
  }
  connect();
})();
