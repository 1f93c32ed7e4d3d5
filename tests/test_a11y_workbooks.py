"""Accessibility of what partxl publishes (Public Sector Bodies Accessibility Regulations 2018: WCAG 2.2 AA, PDF/UA).

Every workbook partxl writes (the committee summary, the register, the validation report, the forms
officers fill in) is checked for what Excel's Accessibility Checker checks that can be read from the
file: alternative text on charts, no merged cells, text contrast of every font colour on every fill,
meaningful sheet names, a title and a language; and for print: A4, at a readable scale. The committee
summary's PDF, published on the council's website, is checked for the structure PDF/UA asks for.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest

from partxl.outputs.pdf import chart_alt_texts
from partxl.outputs.summary import SCORE_COLOURS
from partxl.xlsx.sheets import MIN_PRINT_SCALE, SCORE_FILLS, with_language

from . import libreoffice
from .conftest import SAMPLE_REGISTER, run_cli

AS_OF = "2027-04-19"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
AA_TEXT = 4.5  # WCAG 2.2 1.4.3: text (partxl's is 9 to 16 points; only 18 points, or 14 bold, may have 3:1)
LIGHTNESS_STEP = 10  # CIE L* between neighbouring scores' fills: see test_score_fills_differ_in_lightness


# ---------------------------------------------------------------- the workbooks


@pytest.fixture(scope="module")
def summary(sample_cycle: Path) -> Path:
    """The committee summary with a Changes sheet, as `partxl summary` makes it."""
    out = sample_cycle / "a11y-summary.xlsx"
    code, _, err = run_cli("summary", str(sample_cycle / "register.xlsx"), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def workbooks(sample_cycle: Path, generated: Path, summary: Path) -> dict[str, Path]:
    """One of each workbook partxl writes: the summary, the register, the report, an annual return and the blank proposal."""
    annual = next(p for p in sorted(generated.glob("P*.xlsx")))
    return {"summary": summary, "register": sample_cycle / "register.xlsx", "report": sample_cycle / "validation_report.xlsx",
            "form": annual, "proposal": generated / "New partnership proposal.xlsx"}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _sheets(parts: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(name, state, part) of every worksheet, in tab order."""
    rels = {r.get("Id"): "xl/" + r.get("Target", "").lstrip("/").removeprefix("xl/")
            for r in ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    return [(s.get("name", ""), s.get("state", "visible"), rels[s.get(rid)]) for s in book.iter(f"{MAIN}sheet")]


# ---------------------------------------------------------------- colour


def luminance(colour: str) -> float:
    """WCAG 2.2's relative luminance of ``#RRGGBB``."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lightness(colour: str) -> float:
    """CIE L* (0 black to 100 white): how light a colour looks, and the grey it prints as."""
    y = luminance(colour)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


THEME = {0: "#FFFFFF", 1: "#000000", 2: "#EEECE1", 3: "#1F497D", 4: "#4F81BD"}  # Office theme: lt1, dk1, lt2, dk2, accent1


def _colour(element: ElementTree.Element | None, default: str) -> str:
    if element is None:
        return default
    if element.get("rgb"):
        return "#" + element.get("rgb", "")[-6:]
    if element.get("theme") is not None:
        return THEME[int(element.get("theme", "1"))]
    if element.get("indexed") == "64" or element.get("auto"):
        return default
    return default


# The table styles partxl may use, as Excel defines them: (text, fill) of the header row and of the banded rows.
TABLE_STYLES = {
    "TableStyleLight2": [("#000000", "#FFFFFF"), ("#000000", "#DCE6F1")],  # bold black header over a blue rule
    "TableStyleLight1": [("#000000", "#FFFFFF"), ("#000000", "#D9D9D9")],
}
BEFORE = {"TableStyleMedium2": ("#FFFFFF", "#4F81BD"), "TableStyleLight9": ("#FFFFFF", "#4F81BD")}  # what partxl used


def colour_pairs(parts: dict[str, bytes]) -> set[tuple[str, str, str]]:
    """Every (text colour, fill, where) the workbook can show: each cell format's font on its fill (white without one),
    each conditional format's fill under its font colour (the cells' black where it sets none), each table style's."""
    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    fonts = [_colour(f.find(f"{MAIN}color"), "#000000") for f in styles.find(f"{MAIN}fonts") or []]
    fills = []
    for fill in styles.find(f"{MAIN}fills") or []:
        pattern = fill.find(f"{MAIN}patternFill")
        solid = pattern is not None and pattern.get("patternType") == "solid"
        fills.append(_colour(pattern.find(f"{MAIN}fgColor"), "#FFFFFF") if solid and pattern is not None else "#FFFFFF")
    pairs = set()
    for xf in styles.find(f"{MAIN}cellXfs") or []:
        pairs.add((fonts[int(xf.get("fontId", 0))], fills[int(xf.get("fillId", 0))], "cell"))
    for dxf in styles.find(f"{MAIN}dxfs") or []:
        pattern = dxf.find(f"{MAIN}fill/{MAIN}patternFill")
        fill = _colour(pattern.find(f"{MAIN}bgColor"), "#FFFFFF") if pattern is not None else "#FFFFFF"
        pairs.add((_colour(dxf.find(f"{MAIN}font/{MAIN}color"), "#000000"), fill, "conditional format"))
    for name, xml in parts.items():
        if name.startswith("xl/tables/"):
            style = re.search(rb'<tableStyleInfo name="([^"]+)"', xml)
            assert style, name
            table = style.group(1).decode()
            assert table in TABLE_STYLES, f"{name}: table style {table} has no colours listed here to check"
            pairs |= {(text, fill, table) for text, fill in TABLE_STYLES[table]}
    return pairs


def test_every_text_colour_on_every_fill_reaches_4_5_to_1(workbooks: dict[str, Path]):
    low = {}
    for kind, path in workbooks.items():
        for text, fill, where in colour_pairs(_parts(path)):
            if contrast(text, fill) < AA_TEXT:
                low[(kind, text, fill, where)] = round(contrast(text, fill), 2)
    assert not low, low
    assert all(contrast(text, fill) < AA_TEXT for text, fill in BEFORE.values())  # the table headers partxl had: 4.0:1


def test_score_fills_differ_in_lightness_so_a_greyscale_print_tells_them_apart(workbooks: dict[str, Path]):
    """Scores 1-4 each show their digit (colour is never the only sign), and their fills step in lightness.

    Lightness is CIE L*, which is how light a colour looks and what grey it prints as. Neighbouring scores
    must be 10 L* apart (the four fills span 54 to 91, with black digits at 5.3:1 or more on each): about
    four just-noticeable differences, steps readers tell apart at a glance in sequential palettes built for
    greyscale. The palette partxl had put scores 2 and 3 5 L* apart (77.5 and 82.6) and 1 and 4 almost level.
    """
    assert SCORE_COLOURS == SCORE_FILLS
    for fills in (_score_rules(_parts(workbooks["summary"]), "Heat map"), _score_rules(_parts(workbooks["form"]), "Assessment")):
        assert fills == {n: c.upper() for n, c in SCORE_FILLS.items()}
    steps = [lightness(SCORE_FILLS[n + 1]) - lightness(SCORE_FILLS[n]) for n in (1, 2, 3)]
    assert all(step >= LIGHTNESS_STEP for step in steps), steps
    assert all(contrast("#000000", fill) >= AA_TEXT for fill in SCORE_FILLS.values())
    before = {1: "#E06666", 2: "#F6B26B", 3: "#B6D7A8", 4: "#6AA84F"}
    assert lightness(before[3]) - lightness(before[2]) < LIGHTNESS_STEP


def _score_rules(parts: dict[str, bytes], sheet_name: str) -> dict[int, str]:
    """The fill each score's conditional format gives, on ``sheet_name``."""
    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    dxfs = [_colour(d.find(f"{MAIN}fill/{MAIN}patternFill/{MAIN}bgColor"), "") for d in styles.find(f"{MAIN}dxfs") or []]
    part = next(p for name, _, p in _sheets(parts) if name == sheet_name)
    found = {}
    for rule in ElementTree.fromstring(parts[part]).iter(f"{MAIN}cfRule"):
        formula = rule.find(f"{MAIN}formula")
        if rule.get("operator") == "equal" and formula is not None and (formula.text or "").isdigit():
            found[int(formula.text or 0)] = dxfs[int(rule.get("dxfId", 0))].upper()
    return found


# ---------------------------------------------------------------- structure


def test_no_merged_cells_and_meaningful_sheet_names(workbooks: dict[str, Path]):
    for kind, path in workbooks.items():
        parts = _parts(path)
        for name, _, part in _sheets(parts):
            assert not re.fullmatch(r"(?i)sheet\s*\d*", name), (kind, name)
            assert b"<mergeCell" not in parts[part], (kind, name)


def test_every_workbook_declares_its_title_and_language(workbooks: dict[str, Path]):
    for kind, path in workbooks.items():
        core = ElementTree.fromstring(_parts(path)["docProps/core.xml"])
        dc = "{http://purl.org/dc/elements/1.1/}"
        assert (core.findtext(f"{dc}title") or "").strip(), kind
        assert core.findtext(f"{dc}language") == "en-GB", kind


def test_every_chart_says_what_it_shows_with_the_summarys_figures(workbooks: dict[str, Path]):
    for kind, path in workbooks.items():
        for name, xml in _parts(path).items():
            if name.startswith("xl/drawings/drawing"):
                for frame in re.findall(rb"<xdr:graphicFrame\b.*?</xdr:graphicFrame>", xml, re.S):
                    assert re.search(rb'descr="[^"]{20,}"', frame), (kind, name)
    categories, scores = chart_alt_texts(workbooks["summary"])
    import openpyxl

    overview = {row[0]: row[1:5] for row in openpyxl.load_workbook(workbooks["summary"], data_only=True)["Overview"]
                .iter_rows(values_only=True) if isinstance(row[0], str)}
    assert categories.startswith("Bar chart: partnerships by category")
    for category in ("Statutory partnership", "Community-based partnership", "Network group / forum"):
        assert f"{category} {overview[category][2]}" in categories
    assert scores.startswith("Bar chart: assessment scores")
    for label, values in overview.items():
        if re.match(r"^[1-4] ", label) and isinstance(values[0], int):
            assert f"{label}: {values[0]}" in scores


def test_the_language_is_added_to_the_package_without_rewriting_the_rest(workbooks: dict[str, Path]):
    """with_language copies every other part raw: the same bytes zipfile gives rewriting the whole package."""
    for path in workbooks.values():
        data = path.read_bytes()
        assert with_language(data) == data  # already declared: left as it is
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        without, rewritten = io.BytesIO(), io.BytesIO()
        for target, change in ((without, lambda x: x.replace(b"<dc:language>en-GB</dc:language>", b"")),
                               (rewritten, lambda x: x.replace(b"<dc:language>en-GB</dc:language>", b"<dc:language>cy</dc:language>"))):
            with zipfile.ZipFile(target, "w") as out:
                for info, body in parts:
                    out.writestr(info, change(body) if info.filename == "docProps/core.xml" else body)
        welsh = with_language(without.getvalue(), "cy")
        assert welsh == rewritten.getvalue()
        with zipfile.ZipFile(io.BytesIO(welsh)) as package:
            assert package.testzip() is None


# ---------------------------------------------------------------- print


def test_every_printed_sheet_is_a4_at_a_readable_scale(workbooks: dict[str, Path]):
    """Every sheet a person can print is set to A4 (paper code 9) and, fitted to the page's width, prints 10-point
    text at 8 points or more (on as many pages across as that takes). The forms' hidden metadata sheet is never shown
    or printed, so it has no page setup."""
    for kind, path in workbooks.items():
        parts = _parts(path)
        names = ElementTree.fromstring(parts["xl/workbook.xml"]).find(f"{MAIN}definedNames")
        areas = {d.text for d in (names if names is not None else []) if d.get("name") == "_xlnm.Print_Area"}
        for name, state, part in _sheets(parts):
            if state == "veryHidden":
                continue
            sheet = ElementTree.fromstring(parts[part])
            setup = sheet.find(f"{MAIN}pageSetup")
            assert setup is not None and setup.get("paperSize") == "9", (kind, name)
            fit = sheet.find(f"{MAIN}sheetPr/{MAIN}pageSetUpPr")
            if fit is None or fit.get("fitToPage") != "1" or setup.get("fitToHeight", "1") != "0":
                continue  # printed at 100 %, or the one-page overview (checked on paper below)
            widths = _widths(sheet, next((a for a in areas if a and a.split("!")[0].strip("'") == name), None))
            across = int(setup.get("fitToWidth", "1"))
            landscape = setup.get("orientation") == "landscape"
            margins = sheet.find(f"{MAIN}pageMargins")
            side = float(margins.get("left", "0.7")) + float(margins.get("right", "0.7")) if margins is not None else 1.4
            printable = (841.9 if landscape else 595.3) - 72 * side
            repeated = _repeated_width(parts, name, sheet)
            scale = min(1.0, across * printable / (sum(widths) + (across if across > 1 else 0) * repeated))
            assert scale >= MIN_PRINT_SCALE, (kind, name, round(scale, 2), across)


def _widths(sheet: ElementTree.Element, area: str | None) -> list[float]:
    """Each printed column's width in points at 100 %, as Excel draws it (a stored width of W: W x 7 px, 96 px an inch)."""
    cols: dict[int, float] = {}
    for col in sheet.iter(f"{MAIN}col"):
        for c in range(int(col.get("min", 1)), int(col.get("max", 1)) + 1):
            cols[c] = float(col.get("width", "9.140625"))
    last = max(cols, default=1)
    for cell in sheet.iter(f"{MAIN}c"):
        letters = re.match(r"[A-Z]+", cell.get("r", "A"))
        last = max(last, _column(letters.group(0)) if letters else 1)
    if area:
        last = _column(re.findall(r"\$([A-Z]+)\$", area)[-1])
    return [int(cols.get(c, 9.140625) * 7 + 0.5) * 0.75 for c in range(1, last + 1)]


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _repeated_width(parts: dict[str, bytes], name: str, sheet: ElementTree.Element) -> float:
    titles = ElementTree.fromstring(parts["xl/workbook.xml"]).find(f"{MAIN}definedNames")
    for d in titles if titles is not None else []:
        if d.get("name") == "_xlnm.Print_Titles" and (d.text or "").split("!")[0].strip("'") == name:
            spans = re.findall(r"\$([A-Z]+):\$([A-Z]+)", d.text or "")
            if spans:
                return sum(_widths(sheet, f"x!$A$1:${spans[0][1]}$1")[_column(spans[0][0]) - 1:])
    return 0.0


def _text_sizes(pdf: Path, margin: float = 54) -> list[list[float]]:
    """Each page's body text sizes in points, as printed (font size through the text and page matrices), leaving out
    the page's header and footer (in its top and bottom ``margin``)."""
    import pikepdf

    def times(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
        return (m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
                m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5])

    pages = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            height = float(page.mediabox[3])
            ctm, stack, line, size, found = identity, [], identity, 0.0, []
            for operands, op in pikepdf.parse_content_stream(page):
                name = str(op)
                if name == "q":
                    stack.append(ctm)
                elif name == "Q" and stack:
                    ctm = stack.pop()
                elif name == "cm":
                    ctm = times(tuple(float(x) for x in operands), ctm)
                elif name == "BT":
                    line = identity
                elif name == "Tm":
                    line = tuple(float(x) for x in operands)
                elif name in ("Td", "TD"):
                    line = times((1.0, 0.0, 0.0, 1.0, float(operands[0]), float(operands[1])), line)
                elif name == "Tf":
                    size = float(operands[1])
                elif name in ("Tj", "TJ"):
                    m = times(line, ctm)
                    if margin < m[5] < height - margin:
                        found.append(round(size * (m[2] ** 2 + m[3] ** 2) ** 0.5, 1))
            pages.append(found)
    return pages


@pytest.mark.libreoffice
def test_printed_outputs_are_a4_and_their_text_readable(workbooks: dict[str, Path], tmp_path: Path):
    """Printed with LibreOffice (as the committee papers are), every page is A4, and its body text (the size most
    of its text is printed at, headers and footers aside) is 8 points or more: 10-point cells at 80 % at least.
    The register's reader columns went onto one A3 page at 4.6 points, the report's findings onto A4 at 4.4,
    the summary's overview at 5.6."""
    chosen = [workbooks[k] for k in ("summary", "register", "report", "form")]
    pdfs = libreoffice.convert(chosen, "pdf", tmp_path)
    small = {}
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
        assert sizes and all(sorted((round(float(w)), round(float(h)))) == [595, 842] for w, h in sizes), (pdf.name, set(sizes))
        for number, texts in enumerate(_text_sizes(pdf), start=1):
            if texts:
                body = Counter(texts).most_common(1)[0][0]
                if body < 8:
                    small[(pdf.name, number)] = body
    assert not small, small


# ---------------------------------------------------------------- the committee summary's PDF


@pytest.fixture(scope="module")
def papers(sample_cycle: Path) -> Path:
    libreoffice.require()
    code, _, err = run_cli("summary", str(sample_cycle / "register.xlsx"), "--out", str(sample_cycle / "a11y-papers.xlsx"),
                           "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF, "--pdf")
    assert code == 0, err
    return sample_cycle / "a11y-papers.pdf"


@pytest.mark.libreoffice
def test_the_summary_pdf_is_tagged_in_english_titled_and_declares_pdf_ua(papers: Path):
    import pikepdf

    info = subprocess.run(["pdfinfo", str(papers)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Partnership summary \S+", info, re.M)
    with pikepdf.open(papers) as pdf:
        root = pdf.Root
        assert str(root.Lang) == "en-GB"
        assert bool(root.MarkInfo.Marked) and bool(root.ViewerPreferences.DisplayDocTitle)
        meta = pdf.open_metadata()
        assert meta.get("dc:title", "").startswith("Partnership summary")
        assert meta.get("pdfuaid:part") == "1"


@pytest.mark.libreoffice
def test_every_figure_in_the_summary_pdf_has_the_charts_alternative_text(papers: Path):
    import pikepdf

    expected = chart_alt_texts(papers.with_suffix(".xlsx"))
    assert len(expected) == 2 and all(expected)
    with pikepdf.open(papers) as pdf:
        figures = [e for e in _structure(pdf.Root.StructTreeRoot) if e.S == "/Figure"]
        assert [str(f.get("/Alt", "")) for f in figures] == expected


@pytest.mark.libreoffice
def test_all_of_the_summary_pdfs_text_is_in_its_structure_tree(papers: Path):
    """LibreOffice Calc 7.4 tags no cell text; partxl tags it: no text is drawn outside marked content, and every
    marked-content id on every page has its structure element (or is an artifact), under one /Document."""
    import pikepdf

    with pikepdf.open(papers) as pdf:
        tree = pdf.Root.StructTreeRoot
        assert len(tree.K) == 1 and tree.K[0].S == "/Document"
        parents = pikepdf.NumberTree(tree.ParentTree)
        for number, page in enumerate(pdf.pages, start=1):
            depth, untagged, ids = 0, 0, []
            for operands, op in pikepdf.parse_content_stream(page):
                name = str(op)
                if name in ("BDC", "BMC"):
                    depth += 1
                    if name == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                        ids.append(int(operands[1].MCID))
                elif name == "EMC":
                    depth -= 1
                elif name in ("Tj", "TJ", "'", '"') and depth == 0:
                    untagged += 1
            assert untagged == 0, f"page {number}: {untagged} text(s) outside marked content"
            elements = parents[int(page.obj.StructParents)]
            assert all(isinstance(elements[i], pikepdf.Dictionary) and "/S" in elements[i] for i in ids), number
        kinds = Counter(str(e.S) for e in _structure(tree))
        assert kinds["/P"] > 500 and kinds["/Figure"] == 2


@pytest.mark.libreoffice
def test_a_pdf_ua_checker_finds_nothing_in_the_summary_pdf(papers: Path):
    """pdfua (PyPI, pure Python on pikepdf, offline) checks the machine-checkable part of PDF/UA-1 it implements:
    16 of 106 rules, among them untagged content, the document's language, title, figures' alternative text.
    veraPDF, the reference checker, is a Java program that is not on PyPI, so it is not run here."""
    pdfua = pytest.importorskip("pdfua")
    report = pdfua.validate(str(papers))
    assert not report.findings, [f"{f.rule_id}: {f.message}" for f in report.findings]
    assert not report.skipped, report.skipped


def _structure(node):
    import pikepdf

    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _structure(kid)
