// Warden web UI: keyboard shortcuts only; every page works without this script.
// "/" focuses the search box; Ctrl+Enter (or Cmd+Enter) submits the form of a textarea.
document.addEventListener("keydown", function (e) {
  var t = e.target;
  var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  if (e.key === "/" && !typing) {
    var q = document.getElementById("q");
    if (q) { e.preventDefault(); q.focus(); q.select(); }
  }
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t && t.tagName === "TEXTAREA" && t.form) {
    e.preventDefault();
    t.form.requestSubmit ? t.form.requestSubmit() : t.form.submit();
  }
});
