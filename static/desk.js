// The technician desk (on the LAN): the login page shows its code and waits for her card;
// every other desk page hears the desk reader's taps (her resident's record, a notice, logout).
(function () {
  "use strict";
  var body = document.body;
  if (body.dataset.desk !== "1") { return; }
  function poll(url, onData) {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(onData)
      .catch(function () { setTimeout(function () { poll(url, onData); }, 2000); });
  }
  var login = document.getElementById("desk-login");
  if (login) {
    var wait = login.dataset.wait;
    if (!wait) { var pin = document.getElementById("pin"); if (pin && !pin.hidden) { pin.focus(); } return; }
    var url = "/staff/desk/login/" + encodeURIComponent(wait) + "?wait=1";
    var onWait = function (d) {
      if (d.state === "chosen") {  // a card was tapped for this page (never her name here)
        document.getElementById("desk-waiting").hidden = true;
        document.getElementById("desk-ticket").value = d.ticket;
        document.getElementById("desk-csrf").value = d.csrf;
        document.getElementById("desk-pin-form").hidden = false;
        document.getElementById("pin").focus();
      } else if (d.state === "gone") {  // expired, gave way, or its guesses are spent
        document.getElementById("desk-waiting").hidden = true;
        document.getElementById("desk-gone").hidden = false;
      } else {
        poll(url, onWait);
      }
    };
    poll(url, onWait);
    return;
  }
  var after = body.dataset.deskSeq || "0";
  function show(text) {
    var box = document.getElementById("desk-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "desk-notice";
      box.className = "error";
      box.setAttribute("role", "alert");
      document.querySelector("main").prepend(box);
    }
    box.textContent = text;
  }
  var onMessages = function (d) {
    if (d.ended) { window.location.replace("/staff/desk/login"); return; }
    for (var i = 0; i < d.messages.length; i++) {
      var m = d.messages[i];
      after = String(m.seq);
      if (m.kind === "record") { window.location.assign(m.url); return; }
      if (m.kind === "ended") { window.location.replace("/staff/desk/login"); return; }
      if (m.kind === "notice") { show(m.message); }
    }
    poll("/staff/desk/next?after=" + after, onMessages);
  };
  poll("/staff/desk/next?after=" + after, onMessages);
})();
