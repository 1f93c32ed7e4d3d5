"""A partnership's own report and the evaluation reports, from two cycles consolidated into one ledger.

The scenario is a council's second year with partxl. In 2026/27 the officer of P001 sends a return and then a
corrected one (the first superseded), then its workbook comes back again under another partnership's file name (held
for the MIO), and another partnership ends and sends its evaluation; in 2027/28 P001's
return is accepted with new scores and an answer the policy flags (no exit strategy), its resend has an error,
and the MIO waives the flagged finding in decisions.xlsx. The report of P001 must agree with both cycles'
registers and with the ledger: the scores of both cycles, the findings still standing, the history.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest

import partxl
from partxl.forms import contract
from partxl.forms.definitions import Field, Form, Spec
from partxl.forms.names import cell_name

from . import finding_cases as fc
from . import libreoffice
from .conftest import SAMPLE_REGISTER, run_cli
from .test_a11y_workbooks import AA_TEXT, _parts, _sheets, colour_pairs, contrast

FIRST, SECOND = "2026/27", "2027/28"
SUBJECT, ENDED = "P001", "P007"
CONFIG = ('[cycle]\nname = "{cycle}"\ndeadline = {deadline}\nissue_date = {issued}\n'
          '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')
REVIEWED = {contract.REVIEW_DATE.cell: dt.date(2027, 2, 25)}
MONDAY = dt.datetime(2027, 6, 7, 9, 0)
FUNDING = 4321.5  # P001's council funding in its accepted 2027/28 return


def _scores(spec: Spec, start: int) -> dict[str, int]:
    """A score for every assessment feature, cycling 1-4 from ``start``, keyed by cell name."""
    keys = spec.form(contract.SCORES.form).item(contract.SCORES.id).row_keys()  # type: ignore[union-attr]
    return {contract.SCORES.column(k, "score"): (start + i) % 4 + 1 for i, k in enumerate(keys)}


def _evaluation(spec: Spec, config: partxl.Config) -> dict[str, Any]:
    """Every question of the evaluation form answered, whatever questions it asks: the officer's words, told apart."""
    form: Form = spec.form(contract.EVALUATION_REASON.form)
    typed: dict[str, Any] = {}
    for n, item in enumerate(form.items()):
        if isinstance(item, Field):
            typed[cell_name(form.id, item.id)] = _answer(item, n, config)
    typed[contract.EVALUATION_REASON.cell] = contract.CONCLUDED
    return typed


def _answer(item: Field, n: int, config: partxl.Config) -> Any:
    choices = item.choices or (config.strategic_objectives if item.choices_from == "strategic_objectives" else
                               tuple(o.name for o in config.officers))
    return {"text": f"Officer's answer {n}", "longtext": f"Officer's answer {n}: what happened,\nand what we learnt.",
            "choice": choices[0], "yesno": "Yes", "date": dt.date(2027, 2, 24), "money": 1000 + n, "integer": n,
            "score": 3}[item.type]


class Scenario:
    """Two cycles of returns consolidated into one output folder (one ledger), with their registers kept."""

    def __init__(self, base: Path, generated: Path):
        self.base, self.out = base, base / "out"
        self.ws = partxl.Workspace.load()
        self.spec = self.ws.spec
        self.first_scores, self.second_scores = _scores(self.spec, 0), _scores(self.spec, 2)
        self.evaluation = _evaluation(self.spec, self.ws.config)
        self.first_register = self._first_cycle(generated)
        self.second_register = self._second_cycle()

    def _config(self, cycle: str, deadline: str, issued: str) -> Path:
        path = self.base / f"{cycle.replace('/', '-')}.toml"
        path.write_text(CONFIG.format(cycle=cycle, deadline=deadline, issued=issued))
        return path

    def _consolidate(self, config: Path, folder: Path, previous: Path, as_of: str) -> dict[str, Any]:
        code, printed, err = run_cli("--config", str(config), "consolidate", str(folder), "--out", str(self.out), "--previous",
                                     str(previous), "--as-of", as_of, "--json")
        assert code in (0, 1), err
        return json.loads(printed)

    def _first_cycle(self, generated: Path) -> Path:
        folder = self.base / "returns-1"

        def fill(pid: str, name: str, typed: dict[str, Any], when: dt.datetime) -> None:
            fc.saved_at(fc.edit(next(generated.glob(f"{pid} *.xlsx")), folder / name, {**REVIEWED, **typed}), when)

        fill(SUBJECT, "P001 first go.xlsx", _scores(self.spec, 1), MONDAY)
        fill(SUBJECT, "P001 corrected.xlsx", self.first_scores, MONDAY + dt.timedelta(days=1))
        fill(SUBJECT, "P002 return.xlsx", _scores(self.spec, 3), MONDAY + dt.timedelta(days=2))  # P001's, named as P002's: held
        fill(ENDED, "P007 evaluation.xlsx", self.evaluation, MONDAY)
        config = self._config(FIRST, "2027-06-25", "2027-04-19")
        self.first_report = self._consolidate(config, folder, SAMPLE_REGISTER, "2027-06-11")
        kept = self.base / "register-2026-27.xlsx"
        shutil.copyfile(self.out / "register.xlsx", kept)
        return kept

    def _second_cycle(self) -> Path:
        config = self._config(SECOND, "2028-06-23", "2028-03-27")
        issued = self.base / "workbooks-2"
        code, _, err = run_cli("--config", str(config), "generate", "--register", str(self.first_register), "--out", str(issued),
                               "--only", SUBJECT)
        assert code == 0, err
        folder = self.base / "returns-2"
        source = next(issued.glob(f"{SUBJECT} *.xlsx"))
        typed = {**self.second_scores, contract.REVIEW_DATE.cell: dt.date(2028, 2, 25), contract.EXIT_STRATEGY.cell: "No",
                 contract.COUNCIL_FUNDING.cell: FUNDING}
        fc.saved_at(fc.edit(source, folder / "P001 return.xlsx", typed), MONDAY.replace(year=2028))
        fc.saved_at(fc.edit(source, folder / "P001 resend.xlsx", {**typed, contract.COUNCIL_FUNDING.cell: "lots"}),
                    MONDAY.replace(year=2028) + dt.timedelta(days=2))
        self._consolidate(config, folder, self.first_register, "2028-04-26")
        self.waived = self._waive()
        self.second_report = self._consolidate(config, folder, self.first_register, "2028-04-26")
        return self.out / "register.xlsx"

    def _waive(self) -> str:
        """The MIO waives the policy finding on P001's accepted return, with a reason, in decisions.xlsx."""
        book = openpyxl.load_workbook(self.out / "decisions.xlsx")
        sheet = book["Decisions"]
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("Question")].value == "Finding"
                   and r[header.index("Partnership")].value == SUBJECT)
        row[header.index("Decision")].value = "Waive"
        row[header.index("Reason")].value = "The partners agreed an exit in the constitution"
        book.save(self.out / "decisions.xlsx")
        return str(row[header.index("Key")].value)

    def rows(self, register: Path) -> dict[str, dict[str, Any]]:
        return {r["Partnership ID"]: r for r in self.ws.register_rows(register)}


@pytest.fixture(scope="module")
def scenario(generated: Path, tmp_path_factory) -> Scenario:
    return Scenario(tmp_path_factory.mktemp("partnership-reports"), generated)


@pytest.fixture(scope="module")
def report(scenario: Scenario) -> partxl.PartnershipResult:
    return scenario.ws.partnership(SUBJECT.lower(), register=scenario.second_register, out=scenario.base / "P001.xlsx",
                                   as_of=dt.date(2028, 4, 26))


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    return [r for r in openpyxl.load_workbook(path)[name].iter_rows(values_only=True)]


def _table(path: Path, name: str) -> list[dict[str, Any]]:
    """The rows of the sheet's Excel table, by its headings (the first row whose first cell is a table heading)."""
    book = openpyxl.load_workbook(path)
    sheet = book[name]
    table = next(iter(sheet.tables.values()))
    rows = [[c.value for c in row] for row in sheet[table.ref]]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


# ---------------------------------------------------------------- the scenario is what it says


def test_the_scenario_is_two_cycles_in_one_ledger(scenario: Scenario):
    with sqlite3.connect(scenario.out / "ledger.sqlite") as db:
        accepted = db.execute("SELECT cycle, last_path FROM accepted_versions WHERE partnership = ? ORDER BY saved_at",
                              (SUBJECT,)).fetchall()
    assert accepted[:2] == [(FIRST, "P001 first go.xlsx"), (FIRST, "P001 corrected.xlsx")]  # as recorded: names are judged later
    assert accepted[-1] == (SECOND, "P001 return.xlsx")
    first, second = scenario.rows(scenario.first_register), scenario.rows(scenario.second_register)
    assert first[SUBJECT]["Source file"] == "P001 corrected.xlsx" and first[ENDED]["Status"] == "Closed"
    assert first[SUBJECT]["Returned"] == "Held: identity to confirm"
    assert second[SUBJECT]["Source file"] == "P001 return.xlsx"
    assert second[SUBJECT]["Returned"].startswith("Returned with errors")


# ---------------------------------------------------------------- the partnership's report


def test_scores_of_both_cycles_agree_with_each_cycles_register(scenario: Scenario, report: partxl.PartnershipResult):
    table = scenario.spec.form(contract.SCORES.form).item(contract.SCORES.id)
    labels = {contract.SCORES.column(k, "score"): table.row_label(k) for k in table.row_keys()}  # type: ignore[union-attr]
    expected = {FIRST: scenario.first_scores, SECOND: scenario.second_scores}
    assert report.to_dict()["scores"] == {c: {labels[n]: s for n, s in scores.items()} for c, scores in expected.items()}
    for cycle, register in ((FIRST, scenario.first_register), (SECOND, scenario.second_register)):
        row = scenario.rows(register)[SUBJECT]
        assert {label: row[label] for label in labels.values()} == report.to_dict()["scores"][cycle]
        assert report.to_dict()["means"][cycle] == pytest.approx(row["Mean score"])
    sheet = {r["Feature"]: r for r in _table(report.path, "Scores")}
    for name, label in labels.items():
        assert (sheet[label][FIRST], sheet[label][SECOND]) == (expected[FIRST][name], expected[SECOND][name])
        assert sheet[label]["Change"] == expected[SECOND][name] - expected[FIRST][name]
    mean_row = next(r for r in _sheet(report.path, "Scores") if r[0] == "Mean")
    assert mean_row[1].startswith("=IF(COUNT(") and "AVERAGE" in mean_row[1]


def test_findings_are_those_still_standing_with_the_waived_one_marked(scenario: Scenario, report: partxl.PartnershipResult):
    standing = [(f.code, f.file, f.severity) for f in report.findings]
    assert ("INVALID", "P001 resend.xlsx", "error") in standing and not report.ok
    waived_code = scenario.waived.split("|")[1]
    assert waived_code not in {f.code for f in report.findings}
    consolidated = [f for f in scenario.second_report["findings"] if f["partnership"] == SUBJECT]
    assert {(f["code"], f["file"], f["cell"]) for f in consolidated} == {(f.code, f.file, f.cell) for f in report.findings}
    rows = _table(report.path, "Findings")
    invalid = next(r for r in rows if r["Severity"] == "error")
    said = next(f for f in consolidated if f["code"] == "INVALID")
    assert (invalid["Sheet"], invalid["Cell"], invalid["What is wrong"], invalid["File"]) == \
        (said["sheet"], said["cell"], said["message"], "P001 resend.xlsx")
    waived = [r for r in rows if r["Severity"] == "warning, waived"]
    assert waived and all("The partners agreed an exit in the constitution" in r["What would be right"] for r in waived)


def test_history_lists_every_return_and_the_mios_decision_in_order(scenario: Scenario, report: partxl.PartnershipResult):
    history = [(e["cycle"], e["file"], e["what"]) for e in report.to_dict()["history"]]
    assert history == [
        (FIRST, "P001 first go.xlsx", "Return: Replaced by a newer return"),
        (FIRST, "P001 corrected.xlsx", "Return: Accepted"),
        (FIRST, "P002 return.xlsx", "Return: Held: the MIO must confirm whose return it is"),
        (SECOND, "P001 return.xlsx", "Return: Accepted"),
        (SECOND, "P001 resend.xlsx", "Return: Not accepted: has errors"),
        (SECOND, "", "MIO's decision on a finding: Waive"),
    ]
    rows = _table(report.path, "History")
    assert [(r["Cycle"], r["File"] or "", r["What"]) for r in rows] == history
    assert "1 error(s)" in rows[4]["Detail"] and "Priya Shah" in rows[5]["Detail"]
    rule = next(r for form in scenario.spec.forms.values() for r in form.rules if r.code == scenario.waived.split("|")[1])
    assert rows[5]["Detail"].startswith(rule.title)  # the finding waived, as the decisions workbook named it
    assert "The partners agreed an exit in the constitution" in rows[5]["Detail"]
    assert rows[0]["Saved or decided"] == MONDAY.isoformat(sep=" ", timespec="minutes")  # when the officer saved it


def test_the_register_entry_and_answers_follow_the_register_and_the_forms(scenario: Scenario, report: partxl.PartnershipResult):
    row = scenario.rows(scenario.second_register)[SUBJECT]
    entry = {r["Register column"]: r["Entry"] for r in _table(report.path, "Overview")}
    for heading in ("Partnership ID", "Partnership name", "Lead officer", "Significant", "Status", "Source file"):
        assert entry[heading] == row[heading], heading
    assert entry["Returned"] == "Returned with errors (1)"  # the count from the ledger: the register read back has none
    funding = next(h for h in row if h.startswith("Council funding"))
    assert entry[funding] == row[funding] == FUNDING
    rows = [r for r in _sheet(report.path, "Answers")[4:] if r[0]]
    answers = {r[0]: r[1] for r in rows}
    titles = [n for n, r in enumerate(rows) if any(str(r[0]).startswith(f.title) for f in scenario.spec.ordered_forms())]
    assert len(titles) == len(scenario.spec.ordered_forms())
    with sqlite3.connect(scenario.out / "ledger.sqlite") as db:
        returned = json.loads(db.execute("SELECT answers FROM files WHERE last_path = 'P001 return.xlsx'").fetchone()[0])
    for form, at in zip(scenario.spec.ordered_forms(), titles, strict=True):  # every form, in order, labelled as defined
        assert str(rows[at][0]).startswith(form.title)
        if not any(k.startswith(f"{form.id}_") and v not in (None, "") for k, v in returned.items()):
            assert rows[at + 1][0] == "Not answered."  # the evaluation, say: one line, not every empty question
            continue
        for item in form.items():
            if isinstance(item, Field):
                assert item.label in answers, item.label
    council_funding = scenario.spec.form(contract.COUNCIL_FUNDING.form).item(contract.COUNCIL_FUNDING.id)
    assert answers[council_funding.label] == FUNDING
    assert answers[scenario.spec.form(contract.NAME.form).item(contract.NAME.id).label] == row["Partnership name"]


def test_a_partnership_the_ledger_has_no_return_of_shows_the_registers_answers(scenario: Scenario):
    result = scenario.ws.partnership("P002", register=scenario.second_register, out=scenario.base / "P002.xlsx")
    row = scenario.rows(scenario.second_register)["P002"]
    assert [f.code for f in result.findings] == ["NOT_RETURNED"] and result.findings[0].severity == "warning" and result.ok
    assert not result.model.history and _sheet(result.path, "History")[3][0] == "The ledger holds no return for this partnership."
    scores = result.to_dict()["scores"]
    assert list(scores) == ["Register"]  # answers from before the ledger began, carried on the register
    assert scores["Register"] == {label: row[label] for label in scores["Register"]} and len(scores["Register"]) >= 1
    assert "the answers are the register's" in result.model.answers_from


def test_the_report_is_printable_and_accessible(report: partxl.PartnershipResult, scenario: Scenario):
    _printable_and_accessible(report.path, ["Overview", "Scores", "Findings", "History", "Answers"])


def _printable_and_accessible(path: Path, sheets: list[str]) -> None:
    """A4, fitted to the page's width, a title row repeated on every page, no merged cells, a title and a language,
    every text colour at 4.5:1 or more on its fill (what tests/test_a11y_workbooks.py asks of every workbook)."""
    parts = _parts(path)
    assert [name for name, _, _ in _sheets(parts)] == sheets
    titles = {(d.text or "").split("!")[0].strip("'") for d in ElementTree.fromstring(parts["xl/workbook.xml"]).iter(
        "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}definedName") if d.get("name") == "_xlnm.Print_Titles"}
    for name, _, part in _sheets(parts):
        xml = parts[part]
        assert b'paperSize="9"' in xml and b'fitToPage="1"' in xml and b"<mergeCell" not in xml, name
        assert name in titles or b"<tableParts" not in xml, name
    core = parts["docProps/core.xml"].decode()
    assert "<dc:language>en-GB</dc:language>" in core and re.search(r"<dc:title>[^<]+</dc:title>", core)
    low = {(t, f) for t, f, _ in colour_pairs(parts) if contrast(t, f) < AA_TEXT}
    assert not low, low


def test_an_unknown_id_is_an_error_an_officer_can_act_on(scenario: Scenario):
    with pytest.raises(partxl.UnknownPartnership) as raised:
        scenario.ws.partnership("P999", register=scenario.second_register, out=scenario.base / "P999.xlsx")
    assert isinstance(raised.value, partxl.PartxlError)
    assert "'P999'" in str(raised.value) and str(scenario.second_register) in str(raised.value)
    assert not (scenario.base / "P999.xlsx").exists()
    name = scenario.rows(scenario.second_register)[SUBJECT]["Partnership name"]
    with pytest.raises(partxl.UnknownPartnership, match=f"Did you mean {SUBJECT}"):
        scenario.ws.partnership(name.split()[-2], register=scenario.second_register)  # a word of its name, not its ID
    code, printed, err = run_cli("partnership", "P999", "--register", str(scenario.second_register))
    assert code == 2 and "'P999'" in err and "Traceback" not in err and not printed
    code, _, err = run_cli("partnership", SUBJECT, "--register", str(scenario.second_register), "--ledger",
                           str(scenario.base / "none.sqlite"))
    assert code == 2 and "none.sqlite: no such ledger" in err


def test_the_command_writes_the_report_and_exits_1_for_errors_still_to_correct(scenario: Scenario,
                                                                                report: partxl.PartnershipResult):
    out = scenario.base / "cli" / "P001.xlsx"
    code, printed, err = run_cli("partnership", SUBJECT, "--register", str(scenario.second_register), "--out", str(out),
                                 "--as-of", "2028-04-26", "--json")
    assert code == 1, err  # written, with an error on its returns still to correct
    said = json.loads(printed)
    assert said == {**report.to_dict(), "path": str(out), "outcome": "written"}
    assert _table(out, "Scores") == _table(report.path, "Scores")
    code, printed, _ = run_cli("partnership", SUBJECT, "--register", str(scenario.second_register), "--out", str(out),
                               "--as-of", "2028-04-26")
    assert code == 1 and f"{out} (unchanged)" in printed  # the same inputs: the same bytes, left as they were


# ---------------------------------------------------------------- evaluation reports


@pytest.fixture(scope="module")
def evaluations(scenario: Scenario) -> partxl.EvaluationsResult:
    return scenario.ws.evaluations(register=scenario.second_register, out=scenario.base / "evaluations",
                                   as_of=dt.date(2028, 4, 26))


def test_an_evaluation_report_for_each_evaluated_partnership_holds_the_officers_answers(scenario: Scenario,
                                                                                        evaluations: partxl.EvaluationsResult):
    assert [r.id for r in evaluations.reports] == [ENDED] and evaluations.ok  # P001 answered no evaluation
    path = evaluations.reports[0].path
    assert path.name.startswith(f"{ENDED} ") and path.name.endswith(" evaluation.xlsx")
    rows = [r for r in _sheet(path, "Evaluation") if any(v is not None for v in r)]
    answers = {r[0]: r[1] for r in rows}
    form = scenario.spec.form(contract.EVALUATION_REASON.form)
    for item in form.items():  # every question of the form, with the officer's answer beside it
        if isinstance(item, Field):
            assert answers[item.label] == scenario.evaluation[cell_name(form.id, item.id)], item.label
    titles = [r[0] for r in rows if r[0] in {s.title for s in form.sections}]
    assert titles == [s.title for s in form.sections]  # in the form's order
    lessons = scenario.spec.form(contract.LESSONS.form).item(contract.LESSONS.id)
    assert answers[lessons.label] == scenario.evaluation[contract.LESSONS.cell]
    entry = scenario.rows(scenario.second_register)[ENDED]
    assert answers["Partnership name"] == entry["Partnership name"] and answers["Status"] == "Closed"
    _printable_and_accessible(path, ["Evaluation"])


def test_the_evaluations_command(scenario: Scenario, evaluations: partxl.EvaluationsResult):
    out = scenario.base / "cli-evaluations"
    code, printed, err = run_cli("evaluations", "--register", str(scenario.second_register), "--out", str(out), "--as-of",
                                 "2028-04-26", "--json")
    assert code == 0, err
    said = json.loads(printed)
    assert [(r["id"], Path(r["path"]).name) for r in said["reports"]] == [(ENDED, evaluations.reports[0].path.name)]
    assert (out / evaluations.reports[0].path.name).read_bytes() == evaluations.reports[0].path.read_bytes()
    code, printed, _ = run_cli("evaluations", "--register", str(scenario.second_register), "--out", str(out), "--as-of",
                               "2028-04-26")
    assert code == 0 and "(unchanged)" in printed  # the same inputs: the same bytes, left as they were
    code, printed, err = run_cli("evaluations", "--register", str(scenario.second_register), "--ledger",
                                 str(scenario.base / "none.sqlite"), "--out", str(out))
    assert code == 2 and "none.sqlite: no such ledger" in err and not printed


def test_a_long_answer_runs_on_over_rows_none_taller_than_a_row_can_be(scenario: Scenario, tmp_path: Path):
    from partxl.outputs.evaluation import EvaluationModel, evaluation_bytes, evaluation_form
    from partxl.outputs.partnership import MOST_LINES, form_answers, pieces
    from partxl.outputs.summary import About

    text = "\n".join(f"Paragraph {n}: " + "the partnership met its aims in the end, " * 12 for n in range(20))
    parts = pieces(text, 62)
    assert len(parts) > 1 and " ".join(parts).split() == text.split()
    assert all(len(p.split("\n")) <= MOST_LINES for p in parts)
    config = scenario.ws.config
    answers = form_answers(evaluation_form(scenario.spec), {contract.LESSONS.cell: text})
    about = About(config.council, SECOND, dt.date(2028, 4, 26), config.deadline, config.grant_threshold)
    path = tmp_path / "long.xlsx"
    path.write_bytes(evaluation_bytes(EvaluationModel(ENDED, "A long evaluation", about, contract.CONCLUDED, (), answers), "en-GB"))
    sheet = openpyxl.load_workbook(path)["Evaluation"]
    label = scenario.spec.form(contract.LESSONS.form).item(contract.LESSONS.id).label
    rows = [r for r in sheet.iter_rows() if str(r[0].value or "").startswith(label)]
    assert [r[0].value for r in rows] == [label] + [f"{label} (continued)"] * (len(parts) - 1)
    assert " ".join(str(r[1].value) for r in rows).split() == text.split()  # every word, in order, once
    assert all(sheet.row_dimensions[r[0].row].height <= 409 for r in rows)  # the most a row can be


# ---------------------------------------------------------------- printed (LibreOffice)


@pytest.mark.libreoffice
def test_both_print_to_tagged_pdfs_in_the_councils_language(scenario: Scenario, tmp_path: Path):
    import pikepdf

    libreoffice.require()
    code, _, err = run_cli("partnership", SUBJECT, "--register", str(scenario.second_register), "--out", str(tmp_path / "P001.xlsx"),
                           "--pdf")
    assert code == 1, err
    code, _, err = run_cli("evaluations", "--register", str(scenario.second_register), "--out", str(tmp_path / "ev"), "--pdf")
    assert code == 0, err
    evaluation, = (tmp_path / "ev").glob("*.pdf")
    for pdf, says in ((tmp_path / "P001.pdf", ("assessment scores over the years", "history from the ledger", "P001 resend.xlsx")),
                      (evaluation, (scenario.evaluation[contract.LESSONS.cell].split("\n")[0], "Evaluation of"))):
        with pikepdf.open(pdf) as document:
            assert str(document.Root.Lang) == "en-GB" and "/StructTreeRoot" in document.Root
            assert document.open_metadata().get("pdfuaid:part") == "1"
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
        for words in says:
            assert words in text, (pdf.name, words)
    with zipfile.ZipFile(tmp_path / "P001.xlsx") as package:
        assert "docProps/core.xml" in package.namelist()
