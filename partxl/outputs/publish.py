"""The public register: a CSV, its open-data description and a static, accessible web page (Partnership Policy report, 2.2).

Only the fields the configuration names as public are published (by default no e-mail
addresses, no risks, no internal comments). The CSV is safe to open in Excel — UTF-8 with a
byte-order mark so '£' shows, and no cell that Excel would run as a formula — and
``datapackage.json`` beside it describes it as a Frictionless Tabular Data Package (each
column's type, the money columns' unit, the licence) for anyone reusing it as open data.

The page is written to WCAG 2.2 AA, as the Public Sector Bodies Accessibility Regulations 2018
require of a council's website, following the GOV.UK Design System where WCAG leaves a choice:
it escapes everything it shows, fetches nothing, works without JavaScript (with it the table
can be searched and sorted, the sorted column saying so with ``aria-sort`` and the count of rows
shown announced politely), reflows at 320 CSS pixels with the table scrolling in its own
focusable region, and every control shows the GOV.UK focus style: yellow with black, which stands
out at 3:1 or more from every background on the page.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import atomic_write_bytes
from partxl.findings import Finding, errors
from partxl.forms.definitions import Spec
from partxl.forms.fieldtypes import pounds
from partxl.register.model import ID_COLUMN, MAIN_SHEET, Column, Record, facts, register_columns, sort_key, stage
from partxl.register.read import read_register

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_NAME, PAGE_NAME, PACKAGE_NAME = "register.csv", "index.html", "datapackage.json"

# The open-data licence when the configuration names none: [publish] licence in default_config.toml says the same.
DEFAULT_LICENCE: dict[str, str] = {
    "name": "OGL-UK-3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "title": "Open Government Licence v3.0",
}


class PublishError(PartxlError):
    """The public register could not be written (a field the configuration names does not exist)."""


@dataclass
class PublishResult:
    """The public register written: its files, how many partnerships and which columns."""

    csv: Path
    html: Path
    rows: int
    columns: list[str]
    findings: list[Finding] = field(default_factory=list)  # from reading the register
    datapackage: Path | None = None  # the CSV's open-data description

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"csv": str(self.csv), "html": str(self.html), "datapackage": str(self.datapackage) if self.datapackage else None,
                "rows": self.rows, "columns": self.columns, "findings": [f.as_dict() for f in self.findings]}


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


def public_columns(spec: Spec, config: Config) -> list[Column]:
    """The register columns the configuration makes public, in its order."""
    columns = {c.heading: c for c in register_columns(spec, config)}
    missing = [name for name in config.public_fields if name not in columns]
    if missing:
        raise PublishError(f"[publish] fields names {', '.join(repr(m) for m in missing)}, which the register does not have; "
                           f"choose from: {', '.join(columns)}")
    return [columns[name] for name in config.public_fields]


def public_table(records: list[Record], spec: Spec, config: Config, as_of: dt.date) -> tuple[list[str], list[list[Any]]]:
    chosen = public_columns(spec, config)
    rows = []
    for record in sorted((r for r in records if stage(r) == MAIN_SHEET), key=sort_key):
        known = facts(record, spec, config, as_of)
        rows.append([c.value(record, known) for c in chosen])
    return [c.heading for c in chosen], rows


def publish(register: Path, out_dir: Path, spec: Spec, config: Config, as_of: dt.date) -> PublishResult:
    """Write ``register.csv``, ``datapackage.json`` and ``index.html`` in ``out_dir`` from the register at ``register``."""
    read = read_register(register, spec, config)
    headings, rows = public_table(read.records, spec, config, as_of)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headings])
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    data = buffer.getvalue().encode("utf-8-sig")
    package = datapackage(public_columns(spec, config), rows, config, as_of, data)
    package_bytes = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    atomic_write_bytes(out_dir / CSV_NAME, data)
    atomic_write_bytes(out_dir / PACKAGE_NAME, package_bytes)
    page = page_html(headings, rows, config, as_of, csv_bytes=len(data), package_bytes=len(package_bytes)).encode("utf-8")
    atomic_write_bytes(out_dir / PAGE_NAME, page)
    return PublishResult(out_dir / CSV_NAME, out_dir / PAGE_NAME, len(rows), headings, read.findings, out_dir / PACKAGE_NAME)


# ------------------------------------------------------------------------------------------------ open data


def licence(config: Config) -> dict[str, str]:
    """The open-data licence: ``[publish] licence`` of the configuration (``name``, ``path``, ``title``), else the OGL.

    Read as ``config.public_licence`` — a mapping or (key, value) pairs — when the configuration provides it."""
    raw: Any = getattr(config, "public_licence", None) or DEFAULT_LICENCE
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    chosen = {str(k): str(v) for k, v in pairs if k in ("name", "path", "title") and v}
    return chosen or dict(DEFAULT_LICENCE)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _schema_field(column: Column, values: list[Any]) -> dict[str, Any]:
    """A Table Schema field for ``column``: its type as the register's column type gives it, unless a value would not
    read as that type, when the column is described as text (a package that fails its own validation helps nobody)."""
    present = [v for v in values if v is not None and v != ""]
    described: dict[str, Any] = {"name": column.heading, "title": column.heading}
    kind = column.kind
    if kind == "date" and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
        described |= {"type": "date", "format": "default", "description": "A date, written YYYY-MM-DD."}
    elif kind == "money" and all(_is_number(v) and v >= 0 for v in present):
        described |= {"type": "number", "unit": "GBP",
                      "description": "An amount in pounds sterling (£, GBP), written without the £ sign or thousands separators."}
    elif kind in ("integer", "score") and all(_is_number(v) and float(v).is_integer() and v >= 0 for v in present):
        described |= {"type": "integer"}
    elif kind == "number" and all(_is_number(v) and v >= 0 for v in present):
        described |= {"type": "number"}
    elif kind in ("yesno", "formula") and present and all(v in ("Yes", "No") for v in present):
        described |= {"type": "boolean", "trueValues": ["Yes"], "falseValues": ["No"], "description": "Yes or No."}
    else:
        described |= {"type": "string"}
    return described


def datapackage(columns: list[Column], rows: list[list[Any]], config: Config, as_of: dt.date, csv_data: bytes) -> dict[str, Any]:
    """The Frictionless Tabular Data Package (v1) describing ``register.csv``: checked by ``frictionless validate``."""
    fields = [_schema_field(c, [row[i] for row in rows]) for i, c in enumerate(columns)]
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    headings = [c.heading for c in columns]
    if ID_COLUMN in headings:
        ids = [row[headings.index(ID_COLUMN)] for row in rows]
        if all(ids) and len(set(ids)) == len(ids):
            schema["primaryKey"] = [ID_COLUMN]
    title = f"Partnership Register {config.cycle}"
    about = (f"The partnerships {config.council} takes part in, as at {_day(as_of)}: one row for each partnership, "
             "statutory partnerships first, then community-based partnerships, then network groups and forums.")
    slug = re.sub(r"[^a-z0-9]+", "-", f"{config.council} partnership register {config.cycle}".lower()).strip("-")
    return {
        "profile": "tabular-data-package",
        "name": slug,
        "title": f"{title} – {config.council}",
        "description": about,
        "keywords": ["partnerships", "register", "local government"],
        "contributors": [{"title": config.council, "role": "publisher"}],
        "licenses": [licence(config)],
        "resources": [{
            "profile": "tabular-data-resource",
            "name": "register",
            "path": CSV_NAME,
            "title": title,
            "description": about + " The file begins with a UTF-8 byte-order mark so that Excel shows '£' correctly, and a "
                           "cell that would begin with =, +, -, @, a tab or a carriage return begins with an apostrophe "
                           "instead, so that no spreadsheet program runs it as a formula.",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",  # an IANA name; frictionless reads the byte-order mark as utf-8-sig and drops it
            "bytes": len(csv_data),
            "hash": "sha256:" + hashlib.sha256(csv_data).hexdigest(),
            "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "lineTerminator": "\r\n", "header": True},
            "schema": schema,
        }],
    }


# ------------------------------------------------------------------------------------------------ the page

LONG_RUN = 30  # characters without a space, past which a cell's text may break (inside a URL, say)
_BREAK_AFTER = "/-_.?&=,;:+|)]}"
_JOINERS = {"\u200d", "\u200c", "\u2060"}


def _binds(char: str) -> bool:
    """Whether ``char`` belongs with the character before it: a combining mark, joiner, variation selector or skin tone."""
    return (unicodedata.category(char).startswith("M") or char in _JOINERS or "\ufe00" <= char <= "\ufe0f"
            or "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f")


def _breakable(text: str) -> str:
    """``text`` escaped, with line breaks kept and a place to wrap (``<wbr>``) in any run of more than LONG_RUN
    characters without a space: after URL punctuation, or every 20 characters, never inside an emoji or accented letter.
    The table's columns then wrap a long web address instead of stretching to its whole length."""
    out = []
    for part in re.split(r"(\s+)", text):
        if len(part) <= LONG_RUN or part.isspace():
            out.append(html.escape(part, quote=True))
            continue
        pieces, start = [], 0
        for i in range(1, len(part)):
            if _binds(part[i]) or part[i - 1] in _JOINERS:
                continue
            if part[i - 1] in _BREAK_AFTER or i - start >= 20:
                pieces.append(part[start:i])
                start = i
        pieces.append(part[start:])
        out.append("<wbr>".join(html.escape(p, quote=True) for p in pieces))
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br>")


def _cell_html(value: Any) -> str:
    """A cell, escaped, with a sortable value for numbers and dates."""
    if value is None or value == "":
        return "<td></td>"
    if isinstance(value, dt.date):
        return f'<td data-sort="{value.isoformat()}">{value:%d/%m/%Y}</td>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num" data-sort="{float(value):020.2f}">{pounds(value)}</td>' if float(value) >= 0 else \
            f"<td>{html.escape(str(value))}</td>"
    return f'<td dir="auto">{_breakable(str(value))}</td>'  # dir="auto": right-to-left text reads as it should


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"  # 5 November 2026, as GOV.UK writes dates


def _size(count: int) -> str:
    return f"{max(1, round(count / 1024))} KB" if count < 1024 * 1024 else f"{count / 1024 / 1024:.1f} MB"


def _licence_html(config: Config) -> str:
    chosen = licence(config)
    name = html.escape(chosen.get("title") or chosen.get("name", ""))
    path = chosen.get("path", "")
    if re.match(r"https?://", path, re.I):
        return f'<a rel="license" href="{html.escape(path, quote=True)}">{name}</a>'
    return name


# Colours, from the GOV.UK Design System: text #0b0c0c, links #1d70b8 (visited #4c2c92, hover #003078), secondary
# text #505a5f, focus yellow #ffdd00 always paired with black #0b0c0c. Every text colour reaches 4.5:1 on every
# background the page uses and the black of each focus style 3:1 against them all (tests/test_publish_a11y.py).
STYLE = """
  html { color: #0b0c0c; background: #ffffff; }
  body { font-family: Arial, Helvetica, sans-serif; margin: 1.5rem; line-height: 1.4; overflow-wrap: break-word; }
  .skip-link { position: absolute; width: 1px; height: 1px; margin: 0; padding: 0; overflow: hidden; clip: rect(0 0 0 0);
               clip-path: inset(50%); white-space: nowrap; }
  .skip-link:focus { position: static; width: auto; height: auto; margin: 0 0 1rem; padding: .5rem .75rem; overflow: visible;
                     clip: auto; clip-path: none; white-space: normal; display: inline-block; }
  header { border-bottom: 2px solid #1f4e79; margin-bottom: 1.5rem; }
  header p { font-weight: bold; font-size: 1.2rem; margin: 0 0 .5rem; }
  h1 { color: #1f4e79; font-size: 2rem; line-height: 1.2; margin: 0 0 1rem; }
  a { color: #1d70b8; text-decoration: underline; text-decoration-thickness: max(1px, .0625rem); text-underline-offset: .15em; }
  a:visited { color: #4c2c92; }
  a:hover { color: #003078; text-decoration-thickness: max(3px, .1875rem, .12em); }
  a:active { color: #0b0c0c; }
  .downloads { padding-left: 1.25rem; }
  .downloads li { margin-bottom: .5rem; }
  .controls { margin: 1.5rem 0 1rem; }
  .controls label { font-weight: bold; display: block; }
  .hint { color: #505a5f; margin: .25rem 0 .5rem; }
  .controls input { font: inherit; font-size: 1rem; padding: .4rem; width: 100%; max-width: 28rem; box-sizing: border-box;
                    border: 2px solid #0b0c0c; border-radius: 0; background: #ffffff; color: #0b0c0c; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  caption { text-align: left; font-weight: bold; padding: .5rem 0; }
  caption span { display: inline-block; position: sticky; left: 0; max-width: calc(100vw - 4.5rem); }
  th, td { border: 1px solid #b1b4b6; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f3f2f1; }
  th button { font: inherit; font-weight: bold; color: #1d70b8; background: none; border: 0; margin: 0; padding: .15rem 0;
              min-height: 24px; width: 100%; text-align: left; cursor: pointer; }
  th button:hover { color: #003078; text-decoration: underline; }
  th[aria-sort="ascending"] button::after { content: " \\25b2"; content: " \\25b2" / ""; }
  th[aria-sort="descending"] button::after { content: " \\25bc"; content: " \\25bc" / ""; }
  td.num { text-align: right; white-space: nowrap; }
  tbody tr:nth-child(even) { background: #f3f6fa; }
  .scroll { overflow-x: auto; }
  footer { border-top: 1px solid #b1b4b6; margin-top: 2rem; padding-top: 1rem; }
  a:focus, th button:focus { outline: 3px solid transparent; color: #0b0c0c; background-color: #ffdd00;
                             box-shadow: 0 -2px #ffdd00, 0 4px #0b0c0c; text-decoration: none; }
  input:focus { outline: 3px solid #ffdd00; outline-offset: 0; box-shadow: inset 0 0 0 2px #0b0c0c; }
  .scroll:focus { outline: 3px solid #0b0c0c; outline-offset: 0; box-shadow: 0 0 0 6px #ffdd00; }
  @media print {
    .skip-link, .controls, .downloads { display: none; }
    .scroll { overflow: visible; }
    tr[hidden] { display: table-row; }
    thead { display: table-header-group; }
    body { margin: 0; font-size: 9pt; }
    a { color: inherit; text-decoration: none; }
  }
"""

SCRIPT = """
(function () {
  var table = document.getElementById("register");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var headings = table.tHead.rows[0].cells;
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  function show() {
    var q = search.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var match = row.textContent.toLowerCase().indexOf(q) !== -1;
      row.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " partnerships shown";
  }
  function key(row, index) {
    var cell = row.cells[index];
    return cell.getAttribute("data-sort") || cell.textContent.trim().toLowerCase();
  }
  Array.prototype.forEach.call(headings, function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("focus", function () {  // a button half in the scrolling region is brought wholly into view
      if (button.scrollIntoView) button.scrollIntoView({block: "nearest", inline: "nearest"});
    });
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headings, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        return key(a, index).localeCompare(key(b, index), document.documentElement.lang, {numeric: true}) * (ascending ? 1 : -1);
      });
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
  search.addEventListener("input", show);
  show();
  document.getElementById("controls").hidden = false;
})();
"""


def page_html(headings: list[str], rows: list[list[Any]], config: Config, as_of: dt.date, *,
              csv_bytes: int | None = None, package_bytes: int | None = None) -> str:
    e = html.escape
    title = f"Partnership Register {config.cycle}"
    council = e(config.council)
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headings)
    body = "\n".join("<tr>" + "".join(_cell_html(v) for v in row) + "</tr>" for row in rows)
    csv_size = f", {_size(csv_bytes)}" if csv_bytes is not None else ""
    package_size = f", {_size(package_bytes)}" if package_bytes is not None else ""
    return f"""<!doctype html>
<html lang="{e(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} – {council}</title>
<style>{STYLE}</style>
</head>
<body>
<a class="skip-link" href="#register-table">Skip to the register table</a>
<header>
<p>{council}</p>
</header>
<main>
<h1>{e(title)}</h1>
<p>The partnerships {council} takes part in, as at {_day(as_of)}: {len(rows)} partnerships.
Statutory partnerships come first, then community-based partnerships, then network groups and forums.</p>
<ul class="downloads">
<li><a href="{CSV_NAME}" download>Download the register as a spreadsheet (CSV{csv_size})</a></li>
<li><a href="{PACKAGE_NAME}" type="application/json">Description of the spreadsheet’s columns, for reusing the data
(Frictionless Data Package, JSON{package_size})</a></li>
</ul>
<div class="controls" id="controls" hidden>
  <label for="search">Search the register</label>
  <p class="hint" id="search-hint">Type any word, such as part of a partnership’s name, an organisation or an officer.
  Select a column heading to sort the table by that column, and select it again to reverse the order.</p>
  <input id="search" type="search" autocomplete="off" aria-describedby="search-hint">
  <p id="count" role="status" aria-live="polite" aria-atomic="true"></p>
</div>
<div class="scroll" id="register-table" role="region" aria-labelledby="caption" tabindex="0">
<table id="register">
<caption id="caption"><span>{e(title)}: {len(rows)} partnerships</span></caption>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</div>
</main>
<footer>
<p>Published by {council}. You may reuse this register under the {_licence_html(config)}.</p>
</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
