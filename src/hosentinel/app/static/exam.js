// Exam form: Enter moves to the next field instead of submitting a half-filled exam, and each
// range-of-motion field shows its change against the last value as one types. The server
// checks every value again; without JavaScript the form works the same, minus these two aids.
(function () {
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (e) {
      return !e.disabled && e.type !== "hidden" && e.tagName !== "BUTTON" && e.type !== "submit";
    });
  }
  function change(input) {
    var out = input.parentNode.querySelector("output.change");
    if (!out || input.dataset.last === undefined) return;
    var text = input.value.trim().replace("\u2212", "-").replace(",", ".");
    var now = Number(text), before = Number(input.dataset.last);
    if (text === "" || !isFinite(now)) { out.textContent = ""; return; }
    var diff = now - before;
    out.textContent = diff === 0 ? "no change since last"
      : (diff > 0 ? "+" : "\u2212") + Math.abs(Math.round(diff * 10) / 10) + "\u00b0 since last";
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.key !== "Enter" || !t.form || !t.form.hasAttribute("data-no-enter-submit")) return;
    if (t.tagName === "TEXTAREA" || t.tagName === "BUTTON" || t.type === "submit") return;
    ev.preventDefault();
    var list = fields(t.form), next = list[list.indexOf(t) + 1];
    if (next) next.focus();
  });
  document.addEventListener("input", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("deg")) change(ev.target);
  });
})();
