// The inline stylesheet and script of the HTML report. Kept as plain strings: the report is one
// self-contained file, and the CSP allows exactly these two blocks by hash.

export const HTML_STYLE = `
:root{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--head:#f3f5f9;
--critical:#8b0000;--high:#d1242f;--medium:#bf8700;--low:#0969da;--unknown:#6e7781;--block:#d1242f;--warn:#9a6700;--ok:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:var(--head)}
h1{margin:0 0 4px;font-size:20px;word-break:break-all}
h2{font-size:16px;margin:28px 0 10px}
main{padding:0 28px 40px;max-width:1400px}
.meta{color:var(--muted);font-size:12px;word-break:break-all}
.verdict{display:inline-block;margin-top:12px;padding:6px 12px;border-radius:6px;font-weight:600;color:#fff;background:var(--unknown)}
.verdict.blocked,.verdict.incomplete{background:var(--block)}.verdict.passed{background:var(--ok)}
.summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start;margin-top:20px}
.chart{border:1px solid var(--line);border-radius:8px;padding:8px}
.chart text{font:12px system-ui,sans-serif;fill:var(--fg)}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}
.controls{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:8px 0 10px}
.controls input[type=search]{padding:6px 10px;border:1px solid var(--line);border-radius:6px;min-width:280px;font:inherit}
.controls label{user-select:none;white-space:nowrap}
#shown{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
td{word-break:break-word}
th{background:var(--head);position:sticky;top:0}
th button{all:unset;cursor:pointer;font-weight:600}
th button:focus-visible{outline:2px solid var(--low)}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
.sev{font-weight:600;white-space:nowrap}
.sev-CRITICAL{color:var(--critical)}.sev-HIGH{color:var(--high)}.sev-MEDIUM{color:var(--medium)}.sev-LOW{color:var(--low)}.sev-UNKNOWN{color:var(--unknown)}
.act-block{color:var(--block);font-weight:600}.act-warn{color:var(--warn)}.act-ignore{color:var(--muted)}
.tag{display:inline-block;font-size:11px;padding:0 5px;border-radius:4px;background:#ffebe9;color:var(--critical);margin-left:4px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--head);padding:1px 4px;border-radius:4px;word-break:break-all}
details.layer{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:6px 12px}
details.layer summary{cursor:pointer}
details.layer ul{margin:6px 0;padding-left:20px}
.muted{color:var(--muted)}
ul.plain{padding-left:20px}
`;

export const HTML_SCRIPT = `
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var RANK = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };
  var ACTION_RANK = { block: 0, warn: 1, ignore: 2, "": 3 };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function byId(id) { return document.getElementById(id); }
  function safeUrl(u) { return /^https?:\\/\\//i.test(u) ? u : null; }

  byId("image-name").textContent = data.image.name;
  byId("image-meta").textContent = data.image.meta;
  var verdict = byId("verdict");
  verdict.textContent = data.verdictText;
  verdict.classList.add(data.verdict);

  var cards = byId("cards");
  data.cards.forEach(function (c) {
    var card = el("div", "card");
    card.appendChild(el("b", c.cls || "", c.value));
    card.appendChild(el("span", "muted", c.label));
    cards.appendChild(card);
  });

  function list(parentId, items, render) {
    var parent = byId(parentId);
    if (!items.length) { parent.hidden = true; return; }
    var ul = parent.querySelector("ul");
    items.forEach(function (it) { ul.appendChild(el("li", "", render(it))); });
  }
  list("coverage", data.coverage, function (line) { return line; });
  list("violations", data.violations, function (v) { return v.action.toUpperCase() + " " + v.rule + ": " + v.message; });
  list("expired", data.expired, function (e) { return e.id + " expired " + e.expires + (e.owner ? " (owner " + e.owner + ")" : "") + (e.reason ? ": " + e.reason : ""); });
  list("warnings", data.warnings, function (w) { return "[" + w.code + "] " + (w.path ? w.path + ": " : "") + w.message; });

  // Findings (or packages, for an inventory) grouped by the layer that introduced them.
  var layersBox = byId("layers");
  data.layers.forEach(function (l) {
    var d = el("details", "layer");
    if (l.items.length && l.items.length <= 50) d.open = true;
    var s = el("summary");
    s.appendChild(el("strong", "", "Layer " + l.index));
    s.appendChild(document.createTextNode(" \\u2014 " + l.items.length + " " + data.itemNoun + (l.items.length === 1 ? "" : "s") + " "));
    s.appendChild(el("code", "", l.createdBy || "(no history step recorded)"));
    d.appendChild(s);
    d.appendChild(el("div", "meta", l.digest + (l.size ? " \\u00b7 " + l.size : "")));
    if (l.items.length) {
      var ul = el("ul");
      l.items.slice(0, 200).forEach(function (text) { ul.appendChild(el("li", "", text)); });
      if (l.items.length > 200) ul.appendChild(el("li", "muted", (l.items.length - 200) + " more in the table below"));
      d.appendChild(ul);
    }
    layersBox.appendChild(d);
  });

  // The table: text filter, severity checkboxes, sortable columns.
  var cols = data.columns;
  var rows = data.rows;
  var thead = byId("thead");
  var tbody = byId("tbody");
  var sortKey = null, sortDir = 1;
  var headRow = el("tr");
  cols.forEach(function (c) {
    var th = el("th");
    th.setAttribute("aria-sort", "none");
    var b = el("button", "", c.title);
    b.type = "button";
    b.addEventListener("click", function () {
      sortDir = sortKey === c.key ? -sortDir : 1;
      sortKey = c.key;
      Array.prototype.forEach.call(headRow.children, function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
    th.appendChild(b);
    headRow.appendChild(th);
  });
  thead.appendChild(headRow);

  var trs = rows.map(function (r) {
    var tr = el("tr");
    tr.dataset.severity = r.severity || "";
    cols.forEach(function (c) {
      var td = el("td");
      var v = r[c.key];
      if (c.key === "severity") { td.className = "sev sev-" + v; td.textContent = v + (r.score ? " " + r.score : ""); }
      else if (c.key === "action") { td.className = v ? "act-" + v : ""; td.textContent = v || "-"; if (r.rule) td.title = r.rule + (r.reason ? ": " + r.reason : ""); }
      else if (c.key === "id" && safeUrl(r.url)) {
        var a = el("a", "", v); a.href = safeUrl(r.url); a.rel = "noopener noreferrer"; td.appendChild(a);
        if (r.kev) td.appendChild(el("span", "tag", "KEV"));
      } else { td.textContent = v === undefined || v === null ? "" : String(v); }
      if (c.key === "id" && r.summary) td.title = r.summary;
      tr.appendChild(td);
    });
    tr.dataset.search = cols.map(function (c) { return String(r[c.key] === undefined ? "" : r[c.key]); }).join(" ").toLowerCase() + " " + (r.summary || "").toLowerCase();
    return { row: r, tr: tr };
  });

  var filter = byId("filter");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-sev]"));
  function compare(a, b) {
    var x = a.row[sortKey], y = b.row[sortKey];
    if (sortKey === "severity") { x = RANK[x]; y = RANK[y]; }
    else if (sortKey === "action") { x = ACTION_RANK[x || ""]; y = ACTION_RANK[y || ""]; }
    if (typeof x === "number" && typeof y === "number") return (x - y) * sortDir;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * sortDir;
  }
  function render() {
    var q = filter.value.trim().toLowerCase();
    var sevs = {};
    boxes.forEach(function (b) { sevs[b.dataset.sev] = b.checked; });
    var list = sortKey ? trs.slice().sort(compare) : trs;
    var shown = 0;
    var frag = document.createDocumentFragment();
    list.forEach(function (x) {
      var ok = (!q || x.tr.dataset.search.indexOf(q) >= 0) && (!x.row.severity || sevs[x.row.severity] !== false);
      x.tr.hidden = !ok;
      if (ok) shown++;
      frag.appendChild(x.tr);
    });
    tbody.appendChild(frag);
    byId("shown").textContent = "Showing " + shown + " of " + trs.length;
  }
  filter.addEventListener("input", render);
  boxes.forEach(function (b) { b.addEventListener("change", render); });
  if (!data.hasSeverity) byId("sev-filters").hidden = true;
  render();
})();
`;
