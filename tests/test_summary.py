"""`partxl summary` (and the summary consolidate writes), checked against the register it summarises.

Every figure is recomputed here from the register workbook read with openpyxl, and compared
with the summary's cached values and with what LibreOffice computes from the summary's own
formulas after a full recalculation.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from partxl.forms import contract
from partxl.outputs.summary import LOW_SCORES

from . import libreoffice
from .conftest import SAMPLE_REGISTER, run_cli

AS_OF = "2027-04-19"
CATEGORIES = list(contract.CATEGORY_ORDER)
COLOURS = {1: "D9534F", 2: "E38A3F", 3: "A8D08D", 4: "D9EAD3"}  # light to dark in lightness: readable in greyscale


@pytest.fixture(scope="module")
def outputs(sample_cycle: Path) -> Path:
    """The shipped sample cycle, consolidated; then the summary made on its own with --previous."""
    out = sample_cycle
    code, _, err = run_cli("summary", str(out / "register.xlsx"), "--out", str(out / "summary.xlsx"), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", AS_OF)
    assert code == 0, err
    return out


def _rows(path: Path, sheet: str, header_row: int = 1) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(min_row=header_row, values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if any(v is not None for v in r)]


def _register(outputs: Path) -> list[dict]:
    return _all_partnerships(outputs / "register.xlsx")


def _all_partnerships(path: Path) -> list[dict]:
    """Every partnership: on the Register, or moved to Ceased or Closed once ended."""
    return [r for sheet in ("Register", "Ceased", "Closed") for r in _rows(path, sheet)]


def _overview(path: Path) -> dict[str, object]:
    sheet = openpyxl.load_workbook(path, data_only=True)["Overview"]
    return {row[0]: row[1:5] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str)}


def expected_overview(register: list[dict], threshold: float) -> dict[str, object]:
    scores = [v for r in register for k, v in r.items() if re.match(r"^\d+\. ", str(k)) and isinstance(v, int)]
    figures = {
        "Partnerships (active and ended)": len(register),
        "Significant partnerships": sum(r["Significant"] == "Yes" for r in register),
        "Partnerships that sent a return this cycle": sum(not r["Returned"].startswith("Not yet returned") for r in register),
        f"Grants of £{threshold:,.0f} or more": sum((r["Annual grant (£)"] or 0) >= threshold for r in register),
        "Total annual grants (£)": sum(r["Annual grant (£)"] or 0 for r in register),
        "Council funding committed (£ a year)": sum(r["Council funding (£ a year)"] or 0 for r in register),
    }
    for category in CATEGORIES:
        mine = [r for r in register if r["Category"] == category]
        figures[category] = (sum(r["Status"] == "Active" for r in mine), sum(r["Status"] in ("Ended", "Closed") for r in mine), len(mine),
                             sum(r["Significant"] == "Yes" for r in mine))
    for n in range(1, 5):
        figures[f"score {n}"] = scores.count(n)
    return figures


def actual_overview(overview: dict[str, object], threshold: float) -> dict[str, object]:
    figures = {k: overview[k][0] for k in ("Partnerships (active and ended)", "Significant partnerships",
                                           "Partnerships that sent a return this cycle", f"Grants of £{threshold:,.0f} or more",
                                           "Total annual grants (£)", "Council funding committed (£ a year)")}
    for category in CATEGORIES:
        figures[category] = tuple(overview[category])
    for key, value in overview.items():
        if re.match(r"^[1-4] ", key):
            figures[f"score {key[0]}"] = value[0]
    return figures


@pytest.mark.parametrize("name", ["summary.xlsx", "committee_summary.xlsx"])
def test_overview_figures_equal_the_register(outputs: Path, config, name: str):
    expected = expected_overview(_register(outputs), config.grant_threshold)
    assert actual_overview(_overview(outputs / name), config.grant_threshold) == expected
    assert expected["Partnerships (active and ended)"] == 33 and expected["score 1"] > 0  # 40 less 7 that are not partnerships


@pytest.mark.libreoffice
def test_libreoffice_computes_the_same_figures_from_the_formulas(outputs: Path, config, tmp_path: Path):
    results = libreoffice.type_into([{"in": str(outputs / "summary.xlsx"), "out": str(tmp_path / "recalculated.xlsx"),
                                      "ops": [["recalc", ""]]}], tmp_path)
    assert results
    expected = expected_overview(_register(outputs), config.grant_threshold)
    assert actual_overview(_overview(tmp_path / "recalculated.xlsx"), config.grant_threshold) == expected
    cached, computed = (openpyxl.load_workbook(p, data_only=True)["Heat map"] for p in (outputs / "summary.xlsx",
                                                                                       tmp_path / "recalculated.xlsx"))
    means = [(c.coordinate, c.value) for row in cached.iter_rows() for c in row if isinstance(c.value, float)]
    assert means and all(computed[at].value == pytest.approx(value, abs=1e-12) for at, value in means)  # cached as computed


def test_the_heat_map_holds_the_scores_weakest_first_coloured_by_score(outputs: Path):
    register = {r["Partnership ID"]: r for r in _register(outputs)}
    features = [k for k in next(iter(register.values())) if re.match(r"^\d+\. ", str(k))]
    book = openpyxl.load_workbook(outputs / "summary.xlsx", data_only=True)
    sheet = book["Heat map"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    header, body = rows[0], [r for r in rows[1:] if r[0] and r[0] in register]
    assert list(header[2:12]) == features
    assert len(body) == sum(any(isinstance(r[f], int) for f in features) for r in register.values())
    means = []
    for row in body:
        assert list(row[2:12]) == [register[row[0]][f] for f in features], row[0]
        scored = [v for v in row[2:12] if v is not None]
        means.append(sum(scored) / len(scored))
        assert row[12] == pytest.approx(means[-1], abs=0.01)
    assert means == sorted(means)  # weakest on top
    rules = {}
    for cf in book["Heat map"].conditional_formatting:
        for rule in cf.rules:
            if rule.operator == "equal":
                rules[int(rule.formula[0])] = (str(cf.sqref), rule.dxf.fill.bgColor.rgb[-6:])
    assert {n: colour for n, (_, colour) in rules.items()} == COLOURS
    assert all(ref == f"C5:L{4 + len(body)}" for ref, _ in rules.values())


def test_the_charts_are_native_and_point_at_the_overview_tables(outputs: Path):
    with zipfile.ZipFile(outputs / "summary.xlsx") as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if re.match(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 2
    sheet = openpyxl.load_workbook(outputs / "summary.xlsx")["Overview"]

    def cells(ref: str) -> list:
        sheet_name, span = ref.split("!")
        assert sheet_name.strip("'") == "Overview"
        return [c.value for row in sheet[span.replace("$", "")] for c in row]

    found = {}
    for xml in charts:
        cat, val = re.findall(r"<c:cat>.*?<c:f>(.*?)</c:f>", xml, re.S)[0], re.findall(r"<c:val>.*?<c:f>(.*?)</c:f>", xml, re.S)[0]
        found[tuple(cells(cat))] = cells(val)
    assert tuple(CATEGORIES) in found
    assert any(labels[0].startswith("1 Not in place") for labels in found)
    totals = found[tuple(CATEGORIES)]
    assert all(isinstance(v, str) and v.startswith("=COUNTIF") for v in totals)


def test_priority_compliance_and_finance_follow_the_register(outputs: Path, config):
    register = _register(outputs)
    features = [k for k in register[0] if re.match(r"^\d+\. ", str(k))]
    priorities = _rows(outputs / "summary.xlsx", LOW_SCORES, 4)
    expected = sorted((r["Partnership ID"], f, r[f]) for r in register for f in features if isinstance(r[f], int) and r[f] <= 2)
    assert sorted((p["ID"], p["Feature"], p["Score"]) for p in priorities if p["ID"]) == expected
    sheet = openpyxl.load_workbook(outputs / "summary.xlsx", data_only=True)["Compliance"]
    top = next(c.row for c in sheet["A"] if c.value == "ID")
    compliance = _rows(outputs / "summary.xlsx", "Compliance", top)
    issues = {(c["ID"], c["Issue"]) for c in compliance if c["ID"]}
    counts = {row[1]: row[2] for row in sheet.iter_rows(min_row=5, max_row=top - 2, values_only=True) if row[1]}
    assert counts == {title: sum(issue == title for _, issue in issues) for title in {i for _, i in issues}}
    for r in register:
        if r["Status"] == "Closed":  # ended and evaluated: the policy asks nothing more of it
            assert not {issue for pid, issue in issues if pid == r["Partnership ID"]}
            continue
        assert ((r["Partnership ID"], "No agreement / terms of reference") in issues) == (r["Agreement in place"] == "No")
        assert ((r["Partnership ID"], "Review overdue") in issues) == (r["Review overdue"] == "Yes")
        assert ((r["Partnership ID"], "No exit strategy") in issues) == (r["Exit strategy"] == "No")
    finance = _rows(outputs / "summary.xlsx", "Finance", 4)
    by_id = {f["ID"]: f for f in finance if f["ID"] and f["ID"].startswith(("P", "NEW"))}
    assert len(by_id) == len(register)
    for r in register:
        grant = r["Annual grant (£)"]
        flag = by_id[r["Partnership ID"]][f"Grant ≥ £{config.grant_threshold:,.0f}"]
        assert (flag or "") == ("" if grant is None else ("Yes" if grant >= config.grant_threshold else "No"))
    total = next(f for f in finance if f["Partnership"] == "Total")
    assert total["Annual grant (£)"] == sum(r["Annual grant (£)"] or 0 for r in register)


def test_changes_since_last_year(outputs: Path):
    now = {r["Partnership ID"]: r for r in _register(outputs)}
    before = {r["Partnership ID"]: r for r in _all_partnerships(SAMPLE_REGISTER)
              if r["Category"] not in contract.EXCLUDED_CATEGORIES}
    changes = {(c["ID"], c["Change"]) for c in _rows(outputs / "summary.xlsx", "Changes", 4)}
    assert {pid for pid, change in changes if change == "New partnership"} == set(now) - set(before)
    assert {pid for pid, change in changes if change == "Ended"} == {
        pid for pid in now if pid in before and now[pid]["Status"] == "Ended" and before[pid]["Status"] != "Ended"}
    assert {pid for pid, change in changes if change == "Significance changed"} == {
        pid for pid in now if pid in before and now[pid]["Significant"] != before[pid]["Significant"]}
    moved = {pid for pid, change in changes if change in ("Scores up", "Scores down")}
    assert moved == {pid for pid in now if pid in before and now[pid]["Mean score"] is not None
                     and before[pid]["Mean score"] is not None and now[pid]["Mean score"] != before[pid]["Mean score"]}


@pytest.mark.libreoffice
def test_pdf_for_committee_papers_has_a_page_per_sheet_at_least(outputs: Path):
    libreoffice.require()
    code, out, err = run_cli("summary", str(outputs / "register.xlsx"), "--out", str(outputs / "papers.xlsx"),
                             "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF, "--pdf")
    assert code == 0, err
    pdf = outputs / "papers.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    sheets = openpyxl.load_workbook(outputs / "papers.xlsx").sheetnames
    assert sheets[0] == "Overview" and len(sheets) == 8 and pages >= len(sheets)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    first_page = text.split("\f")[0]
    assert "summary for committee" in first_page and "Partnerships by category" in first_page
    for title in ("Assessment heat map", "Features scored 1", "Compliance with the Partnership Policy", "Changes since last year"):
        assert title in text


TRICKY = ['Review "overdue"', "Risk checklist: 100 % * 2?", "~tilde", "=B1", "<none>", "Plain title"]


@pytest.mark.libreoffice
def test_a_count_matches_its_title_exactly_whatever_it_holds(tmp_path: Path):
    """The Compliance and Overview counts are COUNTIFs over titles and categories a council may word as it likes."""
    import xlsxwriter

    from partxl.outputs.summary import criterion

    path = tmp_path / "counts.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Counts")
        for row, text in enumerate(TRICKY):
            sheet.write_string(row, 0, text)
            sheet.write_formula(row, 1, f"=COUNTIF($A$1:$A${len(TRICKY)},{criterion(text)})", None, -1)
        sheet.write_string(len(TRICKY), 0, "Risk checklist: 100 % x 2!")  # what the wildcards would also match
    libreoffice.type_into([{"in": str(path), "out": str(tmp_path / "counted.xlsx"), "ops": [["recalc", ""]]}], tmp_path)
    counted = openpyxl.load_workbook(tmp_path / "counted.xlsx", data_only=True)["Counts"]
    assert [counted.cell(row + 1, 2).value for row in range(len(TRICKY))] == [1] * len(TRICKY)


def test_pdf_without_libreoffice_is_a_clear_error(outputs: Path, monkeypatch):
    monkeypatch.setattr("partxl.outputs.pdf.shutil.which", lambda name: None)
    code, _, err = run_cli("summary", str(outputs / "register.xlsx"), "--out", str(outputs / "x.xlsx"), "--pdf")
    assert code == 2 and "LibreOffice" in err and "Traceback" not in err
