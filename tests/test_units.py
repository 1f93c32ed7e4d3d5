"""Unit tests of the pure parts, on small inline cases: rules, facts, status, findings."""

from __future__ import annotations

import datetime as dt

import pytest

from partxl import Code, ConsolidateResult, FileResult, Finding, Outcome, Record, State
from partxl.findings import ordered
from partxl.forms import contract
from partxl.forms.rules import add_months, breaks, unfilled_current_row
from partxl.register.model import ReturnState, facts
from partxl.returns.status import officer_status

D = dt.date
AS_OF = D(2026, 11, 23)


def _rule(spec, code_or_kind: str, field: str):
    info = spec.form("info")
    return next(r for r in info.rules if (r.code == code_or_kind or r.kind == code_or_kind) and r.field == field)


@pytest.mark.parametrize("day,months,expected", [
    (D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2024, 1, 31), 1, D(2024, 2, 29)), (D(2026, 3, 15), -12, D(2025, 3, 15)),
    (D(2026, 12, 1), 1, D(2027, 1, 1)), (D(2026, 5, 31), 0, D(2026, 5, 31)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_not_before_on_a_field_and_on_a_table_row(spec, config):
    info = spec.form("info")
    rule = _rule(spec, "not_before", "end_date")
    assert breaks(rule, info, None, {"info_end_date": D(2020, 1, 1), "info_date_formed": D(2021, 1, 1)}, AS_OF, config)
    assert not breaks(rule, info, None, {"info_end_date": D(2021, 1, 1), "info_date_formed": D(2021, 1, 1)}, AS_OF, config)
    assert not breaks(rule, info, None, {"info_end_date": D(2020, 1, 1)}, AS_OF, config)  # nothing to compare with
    reps = _rule(spec, "not_before", "reps.finished")
    values = {"info_reps_2_started": D(2025, 5, 1), "info_reps_2_finished": D(2025, 4, 1)}
    assert breaks(reps, info, "2", values, AS_OF, config) and not breaks(reps, info, "1", values, AS_OF, config)


def test_required_if_and_flag(spec, config):
    info = spec.form("info")
    needed = _rule(spec, "required_if", "agreement_type")
    assert breaks(needed, info, None, {"info_has_agreement": "Yes"}, AS_OF, config)
    assert not breaks(needed, info, None, {"info_has_agreement": "Yes", "info_agreement_type": "Constitution"}, AS_OF, config)
    assert not breaks(needed, info, None, {"info_has_agreement": "No"}, AS_OF, config)
    flag = _rule(spec, "AGREEMENT_MISSING", "has_agreement")
    assert breaks(flag, info, None, {"info_has_agreement": "No"}, AS_OF, config)
    assert not breaks(flag, info, None, {"info_has_agreement": "Yes"}, AS_OF, config)


def test_overdue_uses_the_configured_review_interval(spec, config):
    info, rule = spec.form("info"), _rule(spec, "REVIEW_OVERDUE", "review_date")
    interval = config.review_interval_months
    due = add_months(AS_OF, -interval)
    assert breaks(rule, info, None, {"info_review_date": due - dt.timedelta(days=1)}, AS_OF, config)
    assert not breaks(rule, info, None, {"info_review_date": due}, AS_OF, config)


def test_past_unless_the_evaluation_says_it_concluded(spec, config):
    info, rule = spec.form("info"), _rule(spec, "ENDED_NO_EVALUATION", "end_date")
    ended = {"info_end_date": D(2026, 3, 31)}
    assert breaks(rule, info, None, ended, AS_OF, config)
    assert not breaks(rule, info, None, {**ended, "evaluation_reason": contract.CONCLUDED}, AS_OF, config)
    assert not breaks(rule, info, None, {"info_end_date": D(2027, 3, 31)}, AS_OF, config)  # a planned end date


def test_current_row_names_the_last_used_row_when_nobody_is_current(spec):
    info, rule = spec.form("info"), _rule(spec, "REPRESENTATIVE_NO_SUCCESSOR", "reps.finished")
    left = {"info_reps_1_name": "A", "info_reps_1_finished": D(2026, 5, 1), "info_reps_2_name": "B",
            "info_reps_2_finished": D(2026, 6, 1)}
    assert unfilled_current_row(rule, info, left) == "info_reps_2_finished"
    assert unfilled_current_row(rule, info, {**left, "info_reps_3_name": "C"}) is None
    assert unfilled_current_row(rule, info, {}) is None  # no representatives at all is another matter


def _record(pid: str = "P1", **answers) -> Record:
    return Record(pid, values={contract.NAME.cell: f"Partnership {pid}", **answers})


@pytest.mark.parametrize("grant,over", [(99_999.99, "No"), (100_000, "Yes"), (250_000.0, "Yes"), (None, "")])
def test_the_grant_threshold_is_at_or_above(spec, config, grant, over):
    values = {contract.ANNUAL_GRANT.cell: grant} if grant is not None else {}
    known = facts(_record(**values), spec, config, AS_OF)
    assert known.grant_over_threshold == over
    assert ("Grant of £100,000 or more" in known.features) == (over == "Yes")  # the grant: a feature of a significant one
    assert known.significant == "No"  # a feature is evidence: the defining questions make a partnership significant


def test_facts_of_scores_reviews_and_representatives(spec, config):
    record = _record(**{"assessment_features_trust_score": 1, "assessment_features_leadership_score": 4,
                        contract.REVIEW_DATE.cell: D(2025, 10, 1), "info_reps_1_name": "Ann", "info_reps_1_finished": D(2026, 6, 1),
                        "info_reps_2_name": "Bob", "info_reps_2_started": D(2026, 6, 2)})
    known = facts(record, spec, config, AS_OF)
    assert known.scores == {"trust": 1, "leadership": 4} and known.mean_score == 2.5 and known.ones == 1
    assert known.review_due == add_months(D(2025, 10, 1), config.review_interval_months)
    assert known.review_overdue == ("Yes" if known.review_due < AS_OF else "No")
    assert known.representatives == "Bob"
    assert known.representative_changes == "Ann finished 01/06/2026; Bob started 02/06/2026"


def _result(records: list[Record], files: list[FileResult], as_of: dt.date) -> ConsolidateResult:
    return ConsolidateResult(files=files, findings=[], records=records, excluded=[], outputs={}, as_of=as_of)


def test_status_per_officer(config):
    officer = config.officers[0].name
    late = dt.date(config.deadline.year, config.deadline.month, config.deadline.day) + dt.timedelta(days=3)
    records = [
        Record("P1", values={contract.LEAD_OFFICER.cell: officer}, state=ReturnState.RETURNED, latest_return=config.deadline),
        Record("P2", values={contract.LEAD_OFFICER.cell: officer}, state=ReturnState.RETURNED, latest_return=late),
        Record("P3", values={contract.LEAD_OFFICER.cell: officer}, state=ReturnState.WITH_ERRORS, errors=1, latest_file="p3.xlsx"),
        Record("P4", values={contract.LEAD_OFFICER.cell: officer}),
        Record("P5", status="Ended", values={contract.LEAD_OFFICER.cell: officer, contract.EVALUATION_REASON.cell: contract.CONCLUDED,
                                             contract.LESSONS.cell: "Agree an exit strategy early."}),
    ]
    error = Code.MISSING.at(file="p3.xlsx", field="Name", partnership="P3")
    files = [FileResult("p3.xlsx", Outcome.ERRORS, partnership="P3", findings=[error])]
    before, after = config.deadline - dt.timedelta(days=1), config.deadline + dt.timedelta(days=1)
    status = {p.id: p for o in officer_status(_result(records, files, before), config) for p in o.partnerships}
    assert {k: v.state for k, v in status.items()} == {"P1": State.RETURNED, "P2": State.RETURNED_LATE,
                                                        "P3": State.WITH_ERRORS, "P4": State.OUTSTANDING}  # P5 is closed
    assert status["P3"].errors == [error] and status["P3"].files == ["p3.xlsx"]
    after_deadline = {p.id: p.state for o in officer_status(_result(records, files, after), config) for p in o.partnerships}
    assert after_deadline["P4"] == State.LATE and after_deadline["P3"] == State.WITH_ERRORS


def test_a_finding_takes_its_hint_from_the_catalogue_unless_given_one():
    found = Code.WRONG_CYCLE.at(file="a.xlsx", issued="2025/26", cycle="2026/27")
    assert found.message == "This workbook was issued for the 2025/26 cycle, not 2026/27."
    assert found.hint == "Use the workbook issued for 2026/27." and found.severity == "error"
    assert Code.MISSING.at(field="Name", hint="Fill this in: the full name.").hint == "Fill this in: the full name."


def test_every_catalogue_entry_has_a_severity_a_message_and_a_hint():
    for code in Code:
        assert code.severity in ("error", "warning", "info") and code.template and code.hint, code


def test_findings_are_ordered_errors_first_then_by_file_sheet_and_cell_as_numbers():
    def at(severity: str, cell: str, file: str = "a") -> Finding:
        return Finding(code="X", severity=severity, message="", file=file, sheet="S", cell=cell)

    items = [at("warning", "B2"), at("error", "B10"), at("error", "B9"), at("info", "A1"), at("error", "A1", file="b")]
    assert [(f.severity, f.file, f.cell) for f in ordered(items)] == [
        ("error", "a", "B9"), ("error", "a", "B10"), ("error", "b", "A1"), ("warning", "a", "B2"), ("info", "a", "A1")]


def test_a_condition_on_a_number_or_a_date_answer_fires(spec, config):
    from partxl.forms.definitions import Rule

    assessment = spec.form("assessment")
    rule = Rule(kind="required_if", field="features.evidence", message="Say why.", code="EVIDENCE_FOR_A_ONE", severity="error",
                when_field="features.score", when_equals="1")
    assert breaks(rule, assessment, "trust", {"assessment_features_trust_score": 1}, AS_OF, config)
    assert not breaks(rule, assessment, "trust", {"assessment_features_trust_score": 3}, AS_OF, config)
    money = Rule(kind="flag", field="annual_grant", message="m", code="NO_GRANT", severity="warning", equals="0")
    assert breaks(money, spec.form("significance"), None, {"significance_annual_grant": 0.0}, AS_OF, config)


def test_table_sheets_of_the_register_match_ids_as_the_register_sheet_does(tmp_path, spec, config):
    import openpyxl

    from partxl.register.read import read_register

    from .conftest import SAMPLE_REGISTER

    book = openpyxl.load_workbook(SAMPLE_REGISTER)
    reps = book["Representatives"]
    first = next(row for row in reps.iter_rows(min_row=2) if row[0].value == "P002")
    first[0].value = "p002"  # typed in lower case
    reps.append([None, 1, "Nobody's row"])  # no ID at all
    book.save(tmp_path / "register.xlsx")
    read = read_register(tmp_path / "register.xlsx", spec, config)
    p002 = next(r for r in read.records if r.id == "P002")
    assert p002.get("info_reps_1_name")  # read, not reported as an orphan
    codes = [(f.code, f.sheet) for f in read.findings]
    assert ("REGISTER_ORPHAN_ROW", "Representatives") not in codes and ("REGISTER_MISSING_ID", "Representatives") in codes


def test_a_register_read_back_holds_every_answer_it_was_written_with(tmp_path, spec, config):
    """Answers without a column of their own go on the Other answers sheet, and come back from it (rolling forward
    keeps them); a return with errors keeps its count."""
    from partxl.outputs.register import write_register
    from partxl.register.model import ReturnState
    from partxl.register.read import read_register

    answers = {contract.NAME.cell: "Alpha", contract.CATEGORY.cell: contract.STATUTORY, "evaluation_turnout": "Nine in ten",
               "evaluation_in_kind": "Meeting rooms", "risk_monitoring_frequency": "Quarterly", "info_reps_1_name": "Cllr A",
               "info_reps_1_trustee_director": "No", "evaluation_reason": "Annual review", "proposal_eia": "Yes"}
    written = Record("P1", values=answers, state=ReturnState.WITH_ERRORS, errors=3, latest_file="P1.xlsx")
    write_register([written], spec, config, tmp_path / "register.xlsx", AS_OF)
    read = read_register(tmp_path / "register.xlsx", spec, config)
    back, = read.records
    assert {k: back.values.get(k) for k in answers} == answers and not read.findings
    assert (back.state, back.errors) == (ReturnState.WITH_ERRORS, 3)


@pytest.mark.parametrize("amount,shown", [(99_999.99, "£99,999.99"), (100_000, "£100,000"), (0.5, "£0.50"), (1234.0, "£1,234")])
def test_money_that_decides_something_is_never_shown_rounded(amount, shown):
    from partxl.forms.fieldtypes import pounds
    from partxl.outputs.publish import _cell_html

    assert pounds(amount) == shown
    assert f">{shown}</td>" in _cell_html(amount)


@pytest.mark.parametrize("written,read", [("ended", "Ended"), ("  ACTIVE ", "Active"), ("Closed", "Closed"), ("Finished", "Active")])
def test_register_statuses_are_read_whatever_their_case(tmp_path, spec, config, written, read):
    import openpyxl

    from partxl.register.read import read_register

    from .conftest import SAMPLE_REGISTER

    book = openpyxl.load_workbook(SAMPLE_REGISTER)
    sheet = book["Register"]
    status = [c.value for c in sheet[1]].index("Status")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "P001")
    row[status].value = written
    book.save(tmp_path / "register.xlsx")
    found = read_register(tmp_path / "register.xlsx", spec, config)
    assert next(r for r in found.records if r.id == "P001").status == read
    assert any(f.code == "REGISTER_STATUS_UNKNOWN" and f.partnership == "P001" for f in found.findings) == (written == "Finished")


def test_a_ledger_from_an_earlier_partxl_is_upgraded_in_place(tmp_path):
    import json
    import sqlite3
    from contextlib import closing

    from partxl.returns.ledger import Ledger

    later = ("    errors ", "    sender ", "    received ", "    arrived ", "    first_run ", "    seal ")  # columns a later partxl added
    path = tmp_path / "ledger.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.executescript(_earlier_schema(later))
        findings = [{"severity": "error"}, {"severity": "warning"}, {"severity": "error"}]
        db.execute("INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("a" * 64, ".xlsx", 1, "2026-11-23", "P1.xlsx", "x", "errors", "P1", "annual", "2026/27", None, "{}", "{}",
                    json.dumps(findings)))
        db.execute("INSERT INTO runs (started, folder) VALUES ('2026-11-23T09:00:00', 'returns')")
        db.execute("INSERT INTO sightings VALUES (1, 'P1.xlsx', ?)", ("a" * 64,))
        db.commit()
    with Ledger(path) as ledger:
        assert [(e.partnership, e.errors, e.sender, e.received, e.first_run) for e in ledger.returns("2026/27")] == \
            [("P1", 2, "", None, 1)]
    with Ledger(path, key="k" * 32) as ledger:  # rows written before rows were sealed are not trusted
        assert ledger.returns("2026/27") == [] and list(ledger.altered) == [("a" * 64, ".xlsx")]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4


def _earlier_schema(later: tuple[str, ...]) -> str:
    """The ledger's schema without the columns a later partxl added (the lines starting with ``later``)."""
    from partxl.returns.ledger import SCHEMA

    kept = "".join(line for line in SCHEMA.splitlines(keepends=True) if not line.startswith(later))
    return kept.replace("NOT NULL,\n);", "NOT NULL\n);")  # a table whose last column was one of them


def test_the_decision_log_is_sealed_and_an_entry_edited_swapped_or_renumbered_is_reported(tmp_path):
    """An earlier ledger's log is sealed as it stands when partxl first opens it with the key (an entry cannot be made
    again, as a decision in force can); from then on every entry is sealed with its place in the log."""
    import sqlite3
    from contextlib import closing

    from partxl.returns.ledger import Ledger

    entry = ("Finding", "P003|EXIT_STRATEGY_MISSING", "Waive", "", "", "Works to its terms of reference", "Priya Shah",
             "2027-04-18T10:00:00", "2026/27")
    path, key = tmp_path / "ledger.sqlite", "k" * 32
    with closing(sqlite3.connect(path)) as db:
        db.executescript(_earlier_schema(("    seal ",)))
        db.execute("INSERT INTO decision_log (kind, key, choice, value, day, reason, who, recorded, cycle) "
                   "VALUES (?,?,?,?,?,?,?,?,?)", entry)
        db.commit()
    with Ledger(path, key=key) as ledger:
        ledger.decide((*entry[:2], "Revoke", "", "", "It has one now", "Priya Shah", "2027-05-02T11:00:00", "2026/27"),
                      revoke=True)
        assert [row[2] for row in ledger.decisions(log=True)] == ["Waive", "Revoke"] and ledger.altered_log == []

    def log_after(*edits: str) -> list[str]:
        with closing(sqlite3.connect(path)) as db, db:
            for edit in edits:
                db.execute(edit)
        with Ledger(path, key=key) as ledger:
            shown = [row[2] for row in ledger.decisions(log=True)]
            assert len(shown) + len(ledger.altered_log) == 2
            return shown

    assert log_after("UPDATE decision_log SET reason = 'No reason needed' WHERE id = 1") == ["Revoke"]
    assert log_after("UPDATE decision_log SET reason = 'Works to its terms of reference' WHERE id = 1") == ["Waive", "Revoke"]
    swapped = ("UPDATE decision_log SET id = 3 WHERE id = 1", "UPDATE decision_log SET id = 1 WHERE id = 2",
               "UPDATE decision_log SET id = 2 WHERE id = 3")
    assert log_after(*swapped) == []  # each entry's seal is right for the other's place
    assert log_after(*swapped) == ["Waive", "Revoke"]
    assert log_after("UPDATE decision_log SET id = 7 WHERE id = 2") == ["Waive"]
    with Ledger(path) as ledger:  # without the key (a command that only reads for a report), entries are taken as they are
        assert len(ledger.decisions(log=True)) == 2


def test_a_closed_partnership_has_no_review_due(spec, config):
    from partxl.register.model import Status

    old_review = {contract.REVIEW_DATE.cell: D(2020, 1, 1)}
    assert facts(_record(**old_review), spec, config, AS_OF).review_overdue == "Yes"
    closed = _record(**old_review)
    closed.status = Status.CLOSED
    assert facts(closed, spec, config, AS_OF).review_overdue == "" and facts(closed, spec, config, AS_OF).review_due is None
