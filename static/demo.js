// Demo panel: tap buttons post to the station; new receipts appear as pictures of the paper.
(function () {
  "use strict";
  document.querySelectorAll("button.tap").forEach(function (button) {
    button.addEventListener("click", function () {
      var desk = document.getElementById("demo-at-desk");
      fetch("/demo/tap/" + button.dataset.card + (desk && desk.checked ? "?reader=desk" : ""),
            {method: "POST", headers: {"X-Kiosk-Demo": "1"}});
    });
  });
  var call = document.getElementById("demo-call-next");
  if (call) {
    call.addEventListener("click", function () {
      fetch("/demo/call-next", {method: "POST", headers: {"X-Kiosk-Demo": "1"}})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          document.getElementById("demo-call-result").textContent =
            data.ok ? "→ " + data.queue_no : (data.message || "");
        });
    });
  }
  var sync = document.getElementById("demo-sync");
  if (sync) {
    sync.addEventListener("click", function () {
      sync.disabled = true;
      fetch("/demo/sync", {method: "POST", headers: {"X-Kiosk-Demo": "1"}})
        .catch(function () {}).then(function () {
          setTimeout(function () { sync.disabled = false; }, 1500);
        });
    });
  }
  var shown = 0;
  var list = document.getElementById("receipt-list");
  function poll() {
    fetch("/demo/receipts").then(function (r) { return r.json(); }).then(function (data) {
      for (; shown < data.count; shown++) {
        var img = document.createElement("img");
        img.src = "/demo/receipt/" + shown + ".png";
        img.alt = "receipt " + (shown + 1);
        list.insertBefore(img, list.firstChild);
        document.getElementById("no-receipts").hidden = true;
      }
    }).catch(function () {}).then(function () { setTimeout(poll, 1500); });
  }
  poll();
})();
