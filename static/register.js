// The registration form names, as she types, what will not be kept without her consent
// (birth date, village, phone, ID number), so nothing she gave is dropped without a word.
(function () {
  "use strict";
  var note = document.getElementById("not-kept");
  var consent = document.getElementById("f-consent");
  if (!note || !consent) { return; }
  var checked = document.getElementById("id-checked");  // an ID number checked on a first try
  var shown = document.getElementById("not-kept-fields");
  function update() {
    var names = [];
    note.querySelectorAll("data[value]").forEach(function (field) {
      var input = document.getElementById("f-" + field.value);
      var filled = (input && input.value.trim() !== "")
                   || (field.value === "national_id" && checked !== null);
      if (filled && !consent.checked) { names.push(field.textContent); }
    });
    shown.textContent = names.join(shown.dataset.sep || "、");
    note.hidden = names.length === 0;
  }
  note.closest("form").addEventListener("input", update);
  note.closest("form").addEventListener("change", update);
  // an on-screen keyboard may set a field's value without an input event: look again often
  setInterval(update, 500);
  update();
})();
