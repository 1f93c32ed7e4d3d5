"""The public register: a CSV and a static, accessible web page (Partnership Policy report, 2.2).

Only the fields the configuration names as public are published (by default no e-mail
addresses, no risks, no internal comments). The CSV is safe to open in Excel — UTF-8 with a
byte-order mark so '£' shows, and no cell that Excel would run as a formula — and the page
escapes everything it shows, works without JavaScript, and with it can be searched and sorted.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import atomic_write_bytes
from partxl.findings import Finding, errors
from partxl.forms.definitions import Spec
from partxl.forms.fieldtypes import pounds
from partxl.register.model import MAIN_SHEET, Record, facts, register_columns, sort_key, stage
from partxl.register.read import read_register

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class PublishError(PartxlError):
    """The public register could not be written (a field the configuration names does not exist)."""


@dataclass
class PublishResult:
    """The public register written: its two files, how many partnerships and which columns."""

    csv: Path
    html: Path
    rows: int
    columns: list[str]
    findings: list[Finding] = field(default_factory=list)  # from reading the register

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"csv": str(self.csv), "html": str(self.html), "rows": self.rows, "columns": self.columns,
                "findings": [f.as_dict() for f in self.findings]}


def csv_cell(value: Any) -> str:
    """Text as Excel will show it and never run: a leading = + - @ tab or return gets an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def public_table(records: list[Record], spec: Spec, config: Config, as_of: dt.date) -> tuple[list[str], list[list[Any]]]:
    columns = {c.heading: c for c in register_columns(spec, config)}
    missing = [name for name in config.public_fields if name not in columns]
    if missing:
        raise PublishError(f"[publish] fields names {', '.join(repr(m) for m in missing)}, which the register does not have; "
                           f"choose from: {', '.join(columns)}")
    chosen = [columns[name] for name in config.public_fields]
    rows = []
    for record in sorted((r for r in records if stage(r) == MAIN_SHEET), key=sort_key):
        known = facts(record, spec, config, as_of)
        rows.append([c.value(record, known) for c in chosen])
    return [c.heading for c in chosen], rows


def publish(register: Path, out_dir: Path, spec: Spec, config: Config, as_of: dt.date) -> PublishResult:
    """Write ``register.csv`` and ``index.html`` in ``out_dir`` from the register at ``register``."""
    read = read_register(register, spec, config)
    headings, rows = public_table(read.records, spec, config, as_of)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headings])
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    data = buffer.getvalue().encode("utf-8-sig")
    atomic_write_bytes(out_dir / "register.csv", data)
    page = page_html(headings, rows, config, as_of).encode("utf-8")
    atomic_write_bytes(out_dir / "index.html", page)
    return PublishResult(out_dir / "register.csv", out_dir / "index.html", len(rows), headings, read.findings)


def _cell_html(value: Any) -> str:
    """A cell, escaped, with a sortable value for numbers and dates."""
    if value is None or value == "":
        return "<td></td>"
    if isinstance(value, dt.date):
        return f'<td data-sort="{value.isoformat()}">{value:%d/%m/%Y}</td>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num" data-sort="{float(value):020.2f}">{pounds(value)}</td>' if float(value) >= 0 else \
            f"<td>{html.escape(str(value))}</td>"
    text = html.escape(str(value), quote=True).replace("\n", "<br>")
    return f"<td>{text}</td>"


def page_html(headings: list[str], rows: list[list[Any]], config: Config, as_of: dt.date) -> str:
    e = html.escape
    title = f"Partnership Register {config.cycle}"
    head = "".join(f'<th scope="col" aria-sort="none">{e(h)}</th>' for h in headings)
    body = "\n".join("<tr>" + "".join(_cell_html(v) for v in row) + "</tr>" for row in rows)
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} – {e(config.council)}</title>
<style>
  body {{ font-family: Arial, Helvetica, sans-serif; margin: 1.5rem; color: #1b1b1b; line-height: 1.4; }}
  h1 {{ color: #1f4e79; margin-bottom: .25rem; }}
  .controls {{ margin: 1rem 0; }}
  .controls input {{ font-size: 1rem; padding: .4rem; width: min(28rem, 90%); border: 2px solid #1f4e79; }}
  table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
  caption {{ text-align: left; font-weight: bold; padding: .5rem 0; }}
  th, td {{ border: 1px solid #b1b4b6; padding: .35rem .5rem; text-align: left; vertical-align: top; }}
  th {{ background: #d9e1f2; }}
  th button {{ font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; }}
  th button:focus, input:focus {{ outline: 3px solid #ffbf47; }}
  th[aria-sort="ascending"] button::after {{ content: " ▲"; }}
  th[aria-sort="descending"] button::after {{ content: " ▼"; }}
  td.num {{ text-align: right; white-space: nowrap; }}
  .scroll {{ overflow-x: auto; }}
  .scroll:focus {{ outline: 3px solid #ffbf47; }}
  tbody tr:nth-child(even) {{ background: #f3f6fa; }}
  @media print {{
    .controls {{ display: none; }}
    .scroll {{ overflow: visible; }}
    tr[hidden] {{ display: table-row; }}
    thead {{ display: table-header-group; }}
    body {{ margin: 0; font-size: 9pt; }}
    a {{ color: inherit; text-decoration: none; }}
  }}
</style>
</head>
<body>
<header>
<h1>{e(title)}</h1>
<p>{e(config.council)}. The partnerships the Council takes part in, as at {as_of:%d %B %Y}: {len(rows)} partnerships.
Statutory partnerships come first, then community-based partnerships, then network groups and forums.
<a href="register.csv" download>Download the register as a spreadsheet (CSV)</a>.</p>
</header>
<main>
<div class="controls" id="controls" hidden>
  <label for="search">Search the register</label><br>
  <input id="search" type="search" autocomplete="off">
  <p id="count" aria-live="polite"></p>
</div>
<div class="scroll" role="region" aria-labelledby="caption" tabindex="0">
<table id="register">
<caption id="caption">{e(title)}: {len(rows)} partnerships</caption>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</div>
</main>
<script>
(function () {{
  var table = document.getElementById("register");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  document.getElementById("controls").hidden = false;
  function show() {{
    var q = search.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (row) {{
      var match = row.textContent.toLowerCase().indexOf(q) !== -1;
      row.hidden = !match;
      if (match) shown += 1;
    }});
    count.textContent = shown + " of " + rows.length + " partnerships shown";
  }}
  search.addEventListener("input", show);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {{
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {{
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {{ other.setAttribute("aria-sort", "none"); }});
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      function key(row) {{
        var cell = row.cells[index];
        return cell.getAttribute("data-sort") || cell.textContent.toLowerCase();
      }}
      rows.sort(function (a, b) {{
        var x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      }});
      rows.forEach(function (row) {{ table.tBodies[0].appendChild(row); }});
    }});
  }});
  show();
}})();
</script>
</body>
</html>
"""
