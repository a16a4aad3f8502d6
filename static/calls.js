// Queue announcements: each call's WAV (chime, sentence twice) is played one after the
// other, never one over another. The kiosk page and /display both use it.
//
// A browser may refuse to play before someone has touched the page (Chromium's default
// autoplay policy; a TV's browser often does). Then play() rejects with NotAllowedError: the
// call stays first in line, and the page's #sound-on button ("点击开启声音 / Tap to turn on
// sound", on /display) appears. A tap on it is the gesture the browser waits for: it plays
// the waiting calls, and the page may play by itself from then on. No call is dropped
// unheard without the page saying so. The kiosk's own Chromium is started with
// --autoplay-policy=no-user-gesture-required (systemd/kiosk-browser.service).
(function () {
  "use strict";
  var waiting = [];
  var playing = false;
  var refused = false;
  var seen = {};
  var button = document.getElementById("sound-on");
  function count(name) {
    document.body.dataset[name] = String(parseInt(document.body.dataset[name] || "0", 10) + 1);
  }
  function blocked() {  // the browser wants a gesture first: keep the call, ask for a tap
    playing = false;
    document.body.dataset.sound = "blocked";
    if (button) {
      refused = true;
      button.hidden = false;
      return;
    }
    // a page without the button (the kiosk's own) cannot ask: say so and go on
    console.warn("the browser refused to play a call: start it with an autoplay policy");
    waiting.shift();
    count("unheard");
    next();
  }
  function next() {
    var item = waiting[0];
    if (!item || refused) { playing = false; return; }
    playing = true;
    document.body.dataset.announcing = String(item.queue_no);
    var audio = new Audio(item.audio);
    var finished = false;
    var done = function () {  // played, or the audio is broken: the next call
      if (finished) { return; }
      finished = true;
      waiting.shift();
      count("announced");
      next();
    };
    audio.addEventListener("playing", function () { document.body.dataset.sound = "on"; });
    audio.addEventListener("ended", done);
    audio.addEventListener("error", done);
    var started = audio.play();
    if (started && started.catch) {
      started.catch(function (error) {
        if (finished) { return; }
        if (error && error.name === "NotAllowedError") {
          finished = true;
          blocked();
        } else {
          done();
        }
      });
    }
  }
  if (button) {
    button.addEventListener("click", function () {
      button.hidden = true;
      refused = false;
      if (!playing) { next(); }  // inside the tap's handler: the browser allows it now
    });
  }
  window.KioskCalls = {
    enqueue: function (data) {
      if (seen[data.seq]) { return; }
      seen[data.seq] = true;
      count("calls");
      if (!data.audio) { return; }
      document.body.dataset.lastAudio = data.audio;
      waiting.push(data);
      if (!playing) { next(); }
    }
  };
})();
