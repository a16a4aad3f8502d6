// The date and time steppers of /staff/clock: taps only (the kiosk has no keyboard). A tap
// steps by one; holding a button keeps stepping. Month, day, hour and minute wrap around,
// and the day never passes the month's last; the server checks the setting again.
(function () {
  "use strict";
  var form = document.getElementById("clock-form");
  if (!form) { return; }
  var RANGE = { month: [1, 12], hour: [0, 23], minute: [0, 59] };
  function get(part) { return parseInt(document.getElementById(part).value, 10); }
  function daysIn(year, month) { return new Date(Date.UTC(year, month, 0)).getUTCDate(); }
  function put(part, value) {
    document.getElementById(part).value = String(value);
    var shown = document.getElementById(part + "-value");
    var width = parseInt(shown.dataset.width, 10);
    shown.textContent = String(value).padStart(width, "0");
  }
  function preview() {
    var y = get("year"), m = get("month"), d = get("day");
    var names = document.getElementById("clock-preview").dataset.weekdays.split(" ");
    var weekday = names[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
    document.getElementById("clock-preview").textContent = y + "-" + String(m).padStart(2, "0") +
      "-" + String(d).padStart(2, "0") + " " + weekday + " " + String(get("hour")).padStart(2, "0") +
      ":" + String(get("minute")).padStart(2, "0");
  }
  function step(part, by) {
    var value = get(part) + by;
    if (part === "year") {
      value = Math.max(2025, Math.min(2099, value));
    } else {
      var low = part === "day" ? 1 : RANGE[part][0];
      var high = part === "day" ? daysIn(get("year"), get("month")) : RANGE[part][1];
      if (value > high) { value = low; } else if (value < low) { value = high; }
    }
    put(part, value);
    if (part !== "day") { put("day", Math.min(get("day"), daysIn(get("year"), get("month")))); }
    preview();
  }
  var holding = null, repeated = false;
  function stop() { if (holding) { clearTimeout(holding); clearInterval(holding); holding = null; } }
  form.querySelectorAll("button[data-step]").forEach(function (button) {
    var part = button.dataset.for, by = parseInt(button.dataset.step, 10);
    button.addEventListener("click", function () {
      if (repeated) { repeated = false; return; }  // the hold already stepped
      step(part, by);
    });
    button.addEventListener("pointerdown", function () {
      stop();
      repeated = false;
      holding = setTimeout(function () {
        repeated = true;
        step(part, by);
        holding = setInterval(function () { step(part, by); }, 120);
      }, 500);
    });
    ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) {
      button.addEventListener(name, stop);
    });
  });
  preview();
})();
