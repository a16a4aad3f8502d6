// Queue announcements: each call's WAV (chime, sentence twice) is played one after the
// other, never one over another. The kiosk page and /display both use it.
(function () {
  "use strict";
  var waiting = [];
  var playing = false;
  var seen = {};
  function count(name) {
    document.body.dataset[name] = String(parseInt(document.body.dataset[name] || "0", 10) + 1);
  }
  function next() {
    var item = waiting.shift();
    if (!item) { playing = false; return; }
    playing = true;
    document.body.dataset.announcing = String(item.queue_no);
    var audio = new Audio(item.audio);
    var done = function () { count("announced"); next(); };
    audio.addEventListener("ended", done);
    audio.addEventListener("error", done);
    var started = audio.play();
    if (started && started.catch) { started.catch(done); }
  }
  window.KioskCalls = {
    enqueue: function (data) {
      if (seen[data.seq]) { return; }
      seen[data.seq] = true;
      count("calls");
      if (!data.audio) { return; }
      waiting.push(data);
      if (!playing) { next(); }
    }
  };
})();
