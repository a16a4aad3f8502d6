// Tabs by touch: a [role=tablist]'s tab shows the panel it controls and hides the others, so a
// page too long for 800x480 (her record) shows one whole panel at a time.
(function () {
  "use strict";
  document.querySelectorAll("[role=tablist]").forEach(function (list) {
    var tabs = [].slice.call(list.querySelectorAll("[role=tab]"));
    function select(tab) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
    }
    tabs.forEach(function (t) { t.addEventListener("click", function () { select(t); }); });
  });
})();
