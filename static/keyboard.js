// The kiosk's on-screen keyboard (issue 21): letters, digits, and pinyin with a row of candidate
// characters. The touchscreen's Chromium has no input method, so this is how Chinese is typed
// there; the desk's pages never load it (their PC has its own input method).
//
// The fields stay ordinary inputs: a key writes into the focused field as typing would (an
// "input" event follows), and the form posts as before. The candidates come from
// static/keyboard/pinyin.json (made by kiosk.ops.pinyin_table from jieba's and pypinyin's data),
// loaded by the browser the first time pinyin is typed.
//
// Pinyin: letters collect in the composition ("wang"), the candidate row shows its characters,
// the likeliest first (names first: surnames and given-name characters). A single letter, or
// letters that are not yet a syllable, show the characters of every syllable they begin ("w":
// 王 文 吴 ...). Several syllables ("wangxiuhua") show the whole phrase first (王 and the common
// given name 秀华 read xiu'hua, from the table's given_names); a character taps
// in for the first syllable and the rest stays. Space takes the first candidate; Done, or a tap
// on the composition, types the letters as they are ("wxh" for a search).
(function () {
  "use strict";
  var osk = document.getElementById("osk");
  if (!osk) { return; }
  var candidatesBox = document.getElementById("osk-candidates");
  var composingKey = document.getElementById("osk-composing");
  var prevKey = document.getElementById("osk-prev");
  var nextKey = document.getElementById("osk-next");
  var languageKey = document.getElementById("osk-language");
  var digitsKey = document.getElementById("osk-digits");
  var labels = osk.dataset;

  var field = null;          // the text field the keys write into
  var chinese = true;        // letters go to the pinyin composition (false: typed as they are)
  var digits = false;        // the digits and symbols layout is shown
  var composition = "";      // pinyin letters not yet turned into characters
  var pageStarts = [0];      // where each page of candidates starts (paging back pops)
  var candidates = [];       // [{text, take}] for the composition; take = letters it consumes
  var table = null, givenNames = {}, tableState = "none", syllables = [], cache = {};

  function eligible(el) {
    if (!el || el.disabled || el.readOnly || el.dataset.keyboard === "off") { return false; }
    if (el.tagName === "TEXTAREA") { return true; }
    return el.tagName === "INPUT" && /^(text|search|tel)$/.test(el.type);
  }

  // ---- the candidate table ----
  function loadTable() {
    if (tableState !== "none") { return; }
    tableState = "loading";
    fetch(osk.dataset.table, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        table = data.syllables;
        givenNames = data.given_names || {};
        syllables = Object.keys(table).sort();
        tableState = "ready";
        render();
      })
      .catch(function () { tableState = "failed"; render(); });
  }

  function charsOf(syllable) {  // [[char, score, order], ...] of one syllable, likeliest first
    var entry = table[syllable], chars = Array.from(entry[0]);
    return chars.map(function (c, i) { return [c, entry[1][i], i]; });
  }

  // The characters for one piece of the composition: a whole syllable's own characters first
  // (a single letter is only a beginning), then every syllable it begins, by score.
  function charsFor(piece) {
    if (cache[piece]) { return cache[piece]; }
    var exact = piece.length > 1 && table[piece] ? charsOf(piece) : [];
    var begun = [];
    syllables.forEach(function (s) {
      if (s.lastIndexOf(piece, 0) === 0 && !(exact.length && s === piece)) {
        begun = begun.concat(charsOf(s));
      }
    });
    begun.sort(function (a, b) { return b[1] - a[1] || a[2] - b[2]; });
    var seen = {}, out = [];
    exact.concat(begun).forEach(function (c) {
      if (!seen[c[0]]) { seen[c[0]] = true; out.push(c[0]); }
    });
    cache[piece] = out;
    return out;
  }

  function begins(piece) {
    for (var i = 0; i < syllables.length; i++) {
      if (syllables[i].lastIndexOf(piece, 0) === 0) { return true; }
    }
    return false;
  }

  // The composition in pieces: at each point the longest syllable, else the longest beginning
  // of one ("wxh" is w, x, h); a separator (') ends a piece; a letter nothing begins with is
  // a piece without characters.
  function pieces(text) {
    var out = [], i = 0;
    while (i < text.length) {
      if (text[i] === "'") { i++; continue; }
      var best = "", partial = "";
      for (var n = Math.min(6, text.length - i); n > 0; n--) {
        var piece = text.substr(i, n);
        if (piece.indexOf("'") >= 0) { continue; }
        if (!best && table[piece]) { best = piece; } else if (!partial && begins(piece)) { partial = piece; }
      }
      // the letters still being typed ("xio" on the way to xiong) are one beginning, not xi + o
      if (partial.length > best.length && i + partial.length === text.length) { best = partial; }
      var taken = best || partial || text[i];
      out.push({ letters: taken, end: i + taken.length });
      i += taken.length;
    }
    return out;
  }

  // The whole composition at once: the surname's likeliest character, then each pair of
  // syllables that is a common given name as that name ("xiu'hua": 秀华), the rest each
  // syllable's likeliest character. "" when a piece has no character.
  function phrase(parts) {
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var name = i > 0 && i + 1 < parts.length && givenNames[parts[i].letters + "'" + parts[i + 1].letters];
      if (name) { out.push(name); i++; continue; }
      var first = charsFor(parts[i].letters)[0];
      if (!first) { return ""; }
      out.push(first);
    }
    return out.join("");
  }

  function computeCandidates() {
    candidates = [];
    if (!composition || tableState !== "ready") { return; }
    var parts = pieces(composition);
    var whole = parts.length > 1 ? phrase(parts) : "";
    if (whole) { candidates.push({ text: whole, take: composition.length, phrase: true }); }
    charsFor(parts[0].letters).forEach(function (c) {
      candidates.push({ text: c, take: parts[0].end });
    });
  }

  // ---- writing into the field ----
  function insert(text) {
    if (!field || !text) { return; }
    var value = field.value, start = field.selectionStart, end = field.selectionEnd;
    if (start === null || start === undefined) { start = end = value.length; }
    var room = field.maxLength > 0 ? field.maxLength - (value.length - (end - start)) : Infinity;
    text = Array.from(text).slice(0, Math.max(0, room)).join("");
    if (!text) { return; }
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function backspace() {
    if (composition) { setComposition(composition.slice(0, -1)); return; }
    if (!field) { return; }
    var start = field.selectionStart, end = field.selectionEnd;
    if (start === null || start === undefined) { start = end = field.value.length; }
    if (start === end) {
      if (start === 0) { return; }
      var before = field.value.charCodeAt(start - 1);  // a character outside the BMP is two units
      start -= before >= 0xDC00 && before <= 0xDFFF && start > 1 ? 2 : 1;
    }
    field.setRangeText("", start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setComposition(text) {
    composition = text;
    pageStarts = [0];
    if (composition) { loadTable(); }
    computeCandidates();
    render();
  }

  function take(candidate) {
    insert(candidate.text);
    setComposition(composition.slice(candidate.take).replace(/^'+/, ""));
  }

  function typeLettersAsTheyAre() {
    var letters = composition.replace(/'/g, "");
    setComposition("");
    insert(letters);
  }

  // ---- showing it ----
  function renderCandidates() {
    // the paging keys stay while there is a composition, so the row keeps its width
    prevKey.hidden = nextKey.hidden = !composition;
    prevKey.disabled = pageStarts.length < 2;
    candidatesBox.textContent = "";
    var start = pageStarts[pageStarts.length - 1], shown = start;
    if (composition && tableState === "failed") {
      var note = document.createElement("span");
      note.className = "osk-message";
      note.textContent = labels.labelNoTable;
      candidatesBox.appendChild(note);
    }
    for (var i = start; i < candidates.length; i++) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "osk-key" + (candidates[i].phrase ? " osk-phrase" : "");
      button.dataset.candidate = String(i);
      button.textContent = candidates[i].text;
      candidatesBox.appendChild(button);
      if (button.offsetLeft + button.offsetWidth > candidatesBox.clientWidth && i > start) {
        candidatesBox.removeChild(button);  // the next page starts here
        break;
      }
      shown = i + 1;
    }
    nextKey.disabled = shown >= candidates.length;
    nextKey.dataset.nextStart = String(shown);
  }

  function render() {
    composingKey.hidden = !composition;
    composingKey.textContent = tableState === "ready"  // in syllables, as it will be read
      ? pieces(composition).map(function (p) { return p.letters; }).join("'") : composition;
    composingKey.setAttribute("aria-label", labels.labelComposing + ": " + composition);
    osk.querySelector("[data-layout='letters']").hidden = digits;
    osk.querySelector("[data-layout='digits']").hidden = !digits;
    languageKey.textContent = chinese ? "中" : "英";
    languageKey.setAttribute("aria-pressed", chinese ? "true" : "false");
    languageKey.setAttribute("aria-label", chinese ? labels.labelPinyin : labels.labelLetters);
    digitsKey.textContent = digits ? (chinese ? "拼" : "abc") : "123";
    digitsKey.setAttribute("aria-label", digits ? labels.labelDigits : labels.labelToDigits);
    renderCandidates();
    osk.dataset.shown = tableState === "ready" ? composition : "";  // what the candidates are for
    document.body.style.setProperty("--osk-height", osk.offsetHeight + "px");
  }

  function open(el) {
    if (field !== el) {
      if (composition) { setComposition(""); }
      digits = el.type === "tel" || /^(numeric|decimal|tel)$/.test(el.inputMode || "");
    }
    field = el;
    if (chinese) { loadTable(); }  // before the first letter, so its candidates show at once
    osk.hidden = false;
    document.body.classList.add("osk-open");
    render();
    document.documentElement.style.scrollPaddingBottom = (osk.offsetHeight + 8) + "px";
    el.scrollIntoView({ block: "nearest" });
  }

  // Closed by its own keys: the field loses the focus and the page its room below. Closed by a
  // tap on something else of the page: the room stays, so nothing moves under the finger.
  function close(byKey) {
    if (composition) { typeLettersAsTheyAre(); }
    osk.hidden = true;
    if (byKey) {
      document.body.classList.remove("osk-open");
      if (field) { field.blur(); }
    }
    field = null;
  }

  // ---- keys ----
  function press(key) {
    if (key.dataset.candidate !== undefined) { take(candidates[Number(key.dataset.candidate)]); return; }
    var char = key.dataset.char, action = key.dataset.osk;
    if (char !== undefined) {
      if (chinese && !digits && /^[a-z']$/.test(char)) { setComposition(composition + char); } else { insert(char); }
      return;
    }
    switch (action) {
      case "backspace": backspace(); break;
      case "space":
        if (composition && candidates.length) { take(candidates[0]); } else if (composition) { typeLettersAsTheyAre(); } else { insert(" "); }
        break;
      case "enter": if (composition) { typeLettersAsTheyAre(); } else { close(true); } break;
      case "letters-as-typed": typeLettersAsTheyAre(); break;
      case "language":
        if (composition) { typeLettersAsTheyAre(); }
        chinese = !chinese; digits = false;
        if (chinese) { loadTable(); }
        render();
        break;
      case "digits": if (composition) { typeLettersAsTheyAre(); } digits = !digits; render(); break;
      case "next": pageStarts.push(Number(nextKey.dataset.nextStart)); render(); break;
      case "prev": if (pageStarts.length > 1) { pageStarts.pop(); } render(); break;
      case "hide": close(true); break;
    }
  }

  // A key never takes the focus from the field (so the caret stays where it was).
  ["pointerdown", "mousedown"].forEach(function (name) {
    osk.addEventListener(name, function (e) { e.preventDefault(); });
  });
  osk.addEventListener("pointerdown", function (e) {  // the key shows the touch for a moment
    var key = e.target.closest ? e.target.closest("button") : null;
    if (!key) { return; }
    key.classList.add("osk-down");
    setTimeout(function () { key.classList.remove("osk-down"); }, 120);
  });
  osk.addEventListener("click", function (e) {
    var key = e.target.closest ? e.target.closest("button") : null;
    if (!key || !osk.contains(key)) { return; }
    if (field && document.activeElement !== field) { field.focus({ preventScroll: true }); }
    press(key);
  });
  document.addEventListener("focusin", function (e) {
    if (eligible(e.target)) { open(e.target); } else if (field && !osk.contains(e.target)) { close(false); }
  });  // a date, a list or a button of the page has no use for the keys
  document.addEventListener("click", function (e) {  // a tap on the field after "hide"
    if (eligible(e.target) && osk.hidden) { open(e.target); }
  });
  window.addEventListener("resize", function () { if (!osk.hidden) { render(); } });
  document.addEventListener("submit", function () { if (composition) { typeLettersAsTheyAre(); } }, true);
})();
