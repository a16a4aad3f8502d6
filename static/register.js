// The registration form names, as she types, what will not be kept without her consent
// (birth date, village, phone, ID number), so nothing she gave is dropped without a word.
(function () {
  "use strict";
  var note = document.getElementById("not-kept");
  var consent = document.getElementById("f-consent");
  if (!note || !consent) { return; }
  var checked = document.getElementById("id-checked");  // an ID number checked on a first try
  function update() {
    var any = false;
    note.querySelectorAll("[data-field]").forEach(function (span) {
      var input = document.getElementById("f-" + span.dataset.field);
      var filled = (input && input.value.trim() !== "")
                   || (span.dataset.field === "national_id" && checked !== null);
      span.hidden = consent.checked || !filled;
      any = any || !span.hidden;
    });
    note.hidden = !any;
  }
  note.closest("form").addEventListener("input", update);
  note.closest("form").addEventListener("change", update);
  // an on-screen keyboard may set a field's value without an input event: look again often
  setInterval(update, 500);
  update();
})();
