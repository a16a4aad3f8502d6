// Technician pages and her record view: leave when someone taps a card, log out when idle.
(function () {
  "use strict";
  var page = document.body.dataset.page;
  var atDesk = document.body.dataset.desk === "1";  // on the LAN: desk.js hears the desk reader
  var idleSeconds = parseInt(document.body.dataset.idleSeconds || "120", 10);
  var idleTimer = null;
  function leave(tapped) {
    // Her record closes for good: the link stops working, so "back" cannot reopen it.
    if (page === "me" && navigator.sendBeacon) { navigator.sendBeacon(window.location.pathname + "/close"); }
    // the public screen, Chinese again for the next resident (English was hers alone): the
    // card just tapped, or else the idle screen (not the check-in she has finished with)
    var screen = document.documentElement.lang === "en" ? "/lang/zh_Hans_CN" : "/";
    window.location.replace(atDesk ? "/staff/desk/login" : screen + (tapped ? "" : "?idle=1"));
  }
  var lastPing = Date.now();
  function resetIdle() {
    if (idleTimer) { clearTimeout(idleTimer); }
    idleTimer = setTimeout(function () { leave(false); }, idleSeconds * 1000);
    // Touches count as activity on the server too (at most one ping per 20 s).
    if (page !== "me" && page !== "login" && page !== "pin" && page !== "desk-login"
        && Date.now() - lastPing > 20000) {
      lastPing = Date.now();
      fetch("/staff/ping", { credentials: "same-origin" }).catch(function () {});
    }
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, resetIdle, { passive: true });
  });
  resetIdle();
  var close = document.getElementById("me-close");
  if (close) { close.addEventListener("click", function (e) { e.preventDefault(); leave(false); }); }
  if (!atDesk) {
    var source = new EventSource("/events");
    source.addEventListener("screen", function () {
      if (page === "issue") { window.location.reload(); } else { leave(true); }
    });
  }
  if (page === "issue") {
    var box = document.getElementById("issue");
    if (box && box.dataset.status === "waiting") {
      setInterval(function () {
        fetch(window.location.pathname + "?format=json", { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (d) { if (d.status !== "waiting") { window.location.reload(); } })
          .catch(function () {});
      }, 1000);
    }
  }
})();
// The PIN keypad on a re-shown login form.
document.addEventListener("click", function (e) {
  "use strict";
  var key = e.target.closest ? e.target.closest(".key[data-key]") : null;
  var pin = document.getElementById("pin");
  if (!key || !pin) { return; }
  if (key.dataset.key === "clear") { pin.value = ""; } else if (pin.value.length < 8) { pin.value += key.dataset.key; }
});
