// Live screen: taps arrive over Server-Sent Events; EventSource reconnects by itself.
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  var statusBar = document.getElementById("status");
  var idleHtml = document.getElementById("idle").innerHTML;
  var blockingHtml = "";
  var timer = null;
  var idleSeconds = parseInt(document.body.dataset.idleSeconds || "20", 10);
  // English is hers alone: the first tap shown on an English page is hers; the screen idling
  // out, or the next tap, brings Chinese back for the next resident.
  var english = document.documentElement.lang === "en";
  var tapsShown = screen.dataset.initial === "yes" ? 1 : 0;

  // after a tap the page shows that tap again in Chinese; after idling out, the idle screen
  function backToChinese(idle) { window.location.replace("/lang/zh_Hans_CN" + (idle ? "?idle=1" : "")); }
  var lang = document.getElementById("lang");
  function show(name, html) {
    screen.innerHTML = html;
    screen.dataset.screen = name;
    if (lang) {  // the other language shows this tap's screen, or the idle screen
      var resting = name === "idle" || name === "reader_missing";
      lang.href = lang.getAttribute("href").split("?")[0] + (resting ? "?idle=1" : "");
    }
  }
  function showIdle() {
    if (blockingHtml) { show("reader_missing", blockingHtml); } else { show("idle", idleHtml); }
  }
  function idleOut() {
    timer = null;
    if (english) { backToChinese(true); } else { showIdle(); }
  }
  // Her check-in screen's "people ahead of you" as numbers are called: her place in the line,
  // then her turn (with the room), then nothing once she is served.
  function followTheLine(data) {
    var ahead = document.getElementById("queue-ahead");
    if (!ahead || !data.line) { return; }
    var number = parseInt(ahead.dataset.queueNo, 10);
    var place = data.line.indexOf(number);
    var room = data.called ? data.called[String(number)] : undefined;
    if (place >= 0) {
      var text = ahead.dataset.ahead.replace("{n}", String(place));
      if (data.minutes_each) {
        var minutes = Math.max(1, Math.round((place + 1) * data.minutes_each));
        text += " · " + ahead.dataset.wait.replace("{m}", String(minutes));
      }
      ahead.textContent = text;
      ahead.hidden = false;
    } else if (room !== undefined) {
      ahead.textContent = ahead.dataset.turn.replace("{room}", room);
      ahead.hidden = false;
    } else {
      ahead.hidden = true;
    }
  }
  function connect() {
    // The page token binds this stream to this page (a tap's secrets reach only the kiosk's own).
    var source = new EventSource("/events?page=" + encodeURIComponent(document.body.dataset.page || ""));
    function onScreen(e) {
      if (english && tapsShown > 0) { backToChinese(false); return; }  // shown again in Chinese
      tapsShown += 1;
      var data = JSON.parse(e.data);
      show(data.screen, data.html);
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(idleOut, (data.screen === "pin_entry" ? 60 : (data.timeout || 20)) * 1000);
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
      var resting = screen.dataset.screen === "idle" || screen.dataset.screen === "reader_missing";
      if (!timer || resting) { showIdle(); }
    });
    source.addEventListener("queue", function (e) {
      var data = JSON.parse(e.data);
      var band = document.getElementById("call-band");
      if (band) { band.innerHTML = data.band; }
      followTheLine(data);
    });
    source.addEventListener("call", function (e) {
      if (window.KioskCalls) { window.KioskCalls.enqueue(JSON.parse(e.data)); }
    });
    source.onerror = function () { document.body.dataset.connected = "no"; };
  }
  // PIN keypad (its form arrives as HTML over SSE, so listen on the document). "Log in at a
  // desk PC" turns the same keypad and form to the code her desk's login page shows.
  document.addEventListener("click", function (e) {
    var toDesk = e.target.closest ? e.target.closest("#to-desk") : null;
    if (toDesk) {
      var form = document.querySelector(".pin-form"), field = document.getElementById("pin");
      form.action = toDesk.dataset.action;
      field.value = ""; field.type = "text"; field.name = "code"; field.maxLength = 4;
      document.getElementById("pin-prompt").textContent = toDesk.dataset.prompt;
      toDesk.hidden = true;
      return;
    }
    var key = e.target.closest ? e.target.closest(".key[data-key]") : null;
    if (!key) { return; }
    var pin = document.getElementById("pin");
    if (!pin) { return; }
    if (key.dataset.key === "clear") { pin.value = ""; }
    else if (pin.value.length < 8) { pin.value += key.dataset.key; }
    if (timer) { clearTimeout(timer); timer = setTimeout(idleOut, 60000); }
  });
  if (screen.dataset.initial === "yes") {
    timer = setTimeout(idleOut, idleSeconds * 1000);
  } else if (english) {  // she chose English and has not tapped yet: time to find her card
    timer = setTimeout(idleOut, 3 * idleSeconds * 1000);
  }
  connect();
})();
