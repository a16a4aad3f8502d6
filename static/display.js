// The waiting-room display: the board arrives over Server-Sent Events; EventSource
// reconnects by itself after a restart, and the station sends the board again on connect.
(function () {
  "use strict";
  var board = document.getElementById("board");
  function connect() {
    // the display's own stream and slots; its token marks it as /display's: it gets the voice
    var source = new EventSource("/display/events?display=" + encodeURIComponent(document.body.dataset.display || ""));
    source.addEventListener("queue", function (e) {
      board.innerHTML = JSON.parse(e.data).board;
    });
    source.addEventListener("call", function (e) { window.KioskCalls.enqueue(JSON.parse(e.data)); });
    source.addEventListener("status", function () { document.body.dataset.connected = "yes"; });
    source.onerror = function () { document.body.dataset.connected = "no"; };
  }
  connect();
})();
