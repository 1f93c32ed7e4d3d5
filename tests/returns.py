"""Filled-in returns for tests and samples: what officers type, and the mistakes they make.

A plan is a list of :class:`Return`: which partnership's workbook, what is typed into which
named cell, what structural damage is done, and which findings that must cause. The same
plan is carried out three ways — with openpyxl, by typing in LibreOffice Calc and saving as
.xlsx, and the same saved as .ods — so each reader path is held to the same expectations.
Cells are found through the workbook's own defined names (read with openpyxl), not partxl.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from . import libreoffice

PASSWORD = "wexbridge"
CLEAR = None


@dataclass
class Return:
    """One file to put in the returns folder."""

    source: str  # partnership id of the generated workbook, or "NEW" for the blank proposal
    name: str  # file name in the returns folder (without extension)
    typed: dict[str, Any] = field(default_factory=dict)  # cell name -> value (CLEAR empties it)
    expect: set[tuple[str, str]] = field(default_factory=set)  # (finding code, cell name or "" for the sheet)
    move_rows: str | None = None  # sheet to unprotect and insert two rows at the top of
    edit_metadata: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0  # seconds to wait first, so this save is newer than the previous one

    @property
    def accepted(self) -> bool:
        return not any(code in ERROR_CODES for code, _ in self.expect)


ERROR_CODES = {"INVALID", "MISSING", "NOT_A_CHOICE", "DATE_ORDER", "METADATA_EDITED", "OUT_OF_RANGE"}
TODAY = dt.date(2027, 4, 19)
FRESH_REVIEW = {"info_review_date": dt.date(2027, 2, 25), "info_reviewed_by": "Fiona Grant, Head of Corporate Services"}


def plan() -> list[Return]:
    """The planted mistakes of the consolidate tests, each on a partnership whose issued workbook is clean."""
    return [
        Return("P001", "P001 annual return", {**FRESH_REVIEW, "info_meetings": "Civic Offices, every six weeks",
                                              "assessment_features_trust_score": 4,
                                              "assessment_features_trust_evidence": "Board minutes, 06/02/2027",
                                              "info_comments": "=HYPERLINK(\"http://example.invalid\") is text, not a formula",
                                              # the questions the policy review added, typed like any other
                                              "info_council_funding_next": 45000, "significance_national_influence": "Yes",
                                              "info_reps_2_trustee_director": "Charity trustee",
                                              "risk_monitoring_frequency": "Monthly, by the board",
                                              "agreement_signed_by_partners": "Signed by some partners"}),
        Return("P002", "P002 return", {**FRESH_REVIEW, "info_council_funding": "about five thousand"},
               {("INVALID", "info_council_funding")}),
        Return("P003", "P003 return", {**FRESH_REVIEW, "info_end_date": dt.date(2001, 1, 1)},
               {("DATE_ORDER", "info_end_date"), ("ENDED_NO_EVALUATION", "info_end_date")}),
        Return("P004", "P004 return", {**FRESH_REVIEW, "assessment_features_trust_score": 5},
               {("INVALID", "assessment_features_trust_score")}),
        Return("P006", "P006 return", {**FRESH_REVIEW, "info_strategic_objective": "Better bins"},
               {("NOT_A_CHOICE", "info_strategic_objective")}),
        Return("P009", "P009 return", {**FRESH_REVIEW, "info_accountable_body": CLEAR}, {("MISSING", "info_accountable_body")}),
        Return("P010", "P010 return", {**FRESH_REVIEW, "info_date_formed": "sometime in 2010"}, {("INVALID", "info_date_formed")}),
        Return("P011", "P011 return", {**FRESH_REVIEW, "info_meetings": "County Hall, monthly"},
               {("PROTECTION_REMOVED", ""), ("STRUCTURE_MOVED", "")}, move_rows="Information"),
        Return("P012", "P012 return", dict(FRESH_REVIEW), {("METADATA_EDITED", "")}, edit_metadata={"partnership_id": "P013"}),
        Return("P015", "P015 first go", {**FRESH_REVIEW, "info_reviewed_by": "Old Reviewer"}, {("DUPLICATE_RETURN", "")}),
        Return("P015", "P015 corrected", {**FRESH_REVIEW, "info_reviewed_by": "New Reviewer"}, pause=1.2),
        Return("P019", "P019 return", {**FRESH_REVIEW, "info_reps_2_finished": dt.date(2027, 2, 24),
                                       "info_reps_3_name": "Cllr New Person", "info_reps_3_role": "Cabinet Member",
                                       "info_reps_3_started": dt.date(2027, 2, 25), "info_reps_3_trustee_director": "No"},
               {("HANDOVER_NOT_RECORDED", "info_reps_2_finished")}),  # left this year, and no handover recorded
    ]


def proposal(config: Any) -> Return:
    """A complete proposal for a new partnership, typed into the blank workbook."""
    typed = {
        "info_name": "Wexbridge Youth Voice Forum", "info_category": "Community-based partnership",
        "info_lead_officer": "Isobel Carter", "info_accountable_body": "Wexbridge District Council",
        "info_purpose": "Give young people a say in council decisions.", "info_members": "Wexbridge College\nYouth clubs",
        "info_strategic_objective": config.strategic_objectives[1], "info_objective_links": "Youth engagement.",
        "info_resources_time": "Officer support, 5 days a year.", "info_council_funding": 2500,
        "info_council_funding_next": 2500, "info_council_funding_after": 0,
        "info_budget_position": "Within existing budgets", "info_meetings": "Wexbridge Library, termly",
        "info_risks": "Low: reputational only.", "info_risk_scorecard_details": "Reputation: likelihood 1, impact 2.",
        "info_risk_scorecard": "Yes", "info_date_formed": dt.date(2027, 1, 26),
        "info_statutory": "No", "info_has_agreement": "Yes", "info_agreement_type": "Terms of reference",
        "info_exit_strategy": "Yes", "info_reps_1_name": "Cllr Aisha Rahman", "info_reps_1_trustee_director": "No",
        "significance_key_to_priorities": "No", "significance_national_influence": "No",
        "significance_major_service": "No", "significance_senior_representation": "No",
        "significance_significant_resource": "No", "significance_annual_grant": 0, "significance_high_risk": "No",
        "significance_statutory_duty": "No", "agreement_signed_by_partners": "Signed by each partner",
        "proposal_can_contribute": "Yes", "proposal_eia": "Yes",
        "proposal_eia_details": "By the Equalities Officer before the first meeting.",
    }
    from partxl.forms.definitions import load_spec

    spec = load_spec()
    for row in spec.form("agreement").item("elements").rows:  # type: ignore[union-attr]
        typed[f"agreement_elements_{row.id}_status"] = "Covered by existing agreement"
    for row in spec.form("proposal").item("appropriate").rows:  # type: ignore[union-attr]
        typed[f"proposal_appropriate_{row.id}_answer"] = "No" if row.id == "statutory_duty" else "Yes"
    for row in spec.form("proposal").item("criteria").rows:  # type: ignore[union-attr]
        typed[f"proposal_criteria_{row.id}_met"] = "Yes"
        typed[f"proposal_criteria_{row.id}_evidence"] = "See the draft terms of reference."
    return Return("NEW", "Youth voice proposal", typed, {("NEW_PROPOSAL", "")})


def names(path: Path) -> dict[str, tuple[str, str]]:
    book = openpyxl.load_workbook(path)
    found = {}
    for name, dn in book.defined_names.items():
        for sheet, ref in dn.destinations:
            if ":" not in ref:
                found[name] = (sheet, ref.replace("$", ""))
    return found


def source_file(generated: Path, item: Return) -> Path:
    if item.source == "NEW":
        return generated / "New partnership proposal.xlsx"
    path, = generated.glob(f"{item.source} *.xlsx")
    return path


def _moved(address: str, rows: int = 2) -> str:
    letters = "".join(ch for ch in address if ch.isalpha())
    return f"{letters}{int(address[len(letters):]) + rows}"


def _metadata_rows(path: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)["_partxl"]
    return {row[0].value: f"B{row[0].row}" for row in sheet.iter_rows(min_row=2, max_col=1) if row[0].value}


def where(item: Return, generated: Path) -> dict[str, tuple[str, str]]:
    """Where each named cell is in the returned file (after any rows were moved)."""
    located = names(source_file(generated, item))
    if item.move_rows:
        located = {n: (s, _moved(a)) if s == item.move_rows else (s, a) for n, (s, a) in located.items()}
    return located


def fill_with_openpyxl(items: list[Return], generated: Path, folder: Path) -> list[Path]:
    """Fill each return with openpyxl, moving defined names with inserted rows as Excel would."""
    out = []
    for item in items:
        src = source_file(generated, item)
        book = openpyxl.load_workbook(src)
        located = names(src)
        if item.move_rows:
            sheet = book[item.move_rows]
            sheet.protection.sheet = False
            sheet.insert_rows(1, 2)
            for name, dn in list(book.defined_names.items()):
                target = located.get(name)
                if target and target[0] == item.move_rows:
                    new = _moved(target[1])
                    letters = "".join(ch for ch in new if ch.isalpha())
                    dn.attr_text = f"'{item.move_rows}'!${letters}${new[len(letters):]}"
            located = where(item, generated)
        for name, value in item.typed.items():
            sheet_name, address = located[name]
            book[sheet_name][address].value = value
            if isinstance(value, str):
                book[sheet_name][address].data_type = "s"
        rows = _metadata_rows(src)
        for key, value in item.edit_metadata.items():
            book["_partxl"][rows[key]].value = value
        time.sleep(item.pause)  # openpyxl stamps the save time, to the second
        target = folder / f"{item.name}.xlsx"
        book.save(target)
        out.append(target)
    return out



def good_returns(generated: Path, folder: Path, *sources: str) -> list[Path]:
    """The planned returns of ``sources`` (sample ids, e.g. "P001"), filled in as issued: the good files that
    the hostile corpora put each case beside."""
    planned = {item.source: item for item in plan()}
    return fill_with_openpyxl([planned[source] for source in sources], generated, folder)

def _typed_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()  # Calc reads ISO dates in any locale
    return str(value)


def fill_with_libreoffice(items: list[Return], generated: Path, folder: Path, fmt: str, work: Path) -> list[Path]:
    """Type each return into Calc as a person would, and save it as ``fmt`` (xlsx or ods)."""
    jobs, out = [], []
    for item in items:
        src = source_file(generated, item)
        located = names(src)
        ops: list[list[Any]] = []
        if item.move_rows:
            ops += [["unprotect", item.move_rows, PASSWORD], ["insert_rows", item.move_rows, 1, 2]]
            located = where(item, generated)
        for name, value in item.typed.items():
            sheet, address = located[name]
            ops.append(["clear", sheet, address] if value is CLEAR else ["type", sheet, address, _typed_text(value)])
        rows = _metadata_rows(src)
        ops += [["set", "_partxl", rows[key], value] for key, value in item.edit_metadata.items()]
        target = folder / f"{item.name}.{fmt}"
        jobs.append({"in": str(src), "out": str(target), "format": fmt, "ops": ops, "pause": item.pause})
        out.append(target)
    libreoffice.type_into(jobs, work)
    return out


def junk(folder: Path) -> None:
    """What else lands in a returns folder: a covering note and an Office lock file."""
    (folder / "covering note.txt").write_text("Dear Priya, please find attached our returns.\n")
    (folder / "~$P001 annual return.xlsx").write_bytes(b"\x00" * 165)


def build(variant: str, generated: Path, folder: Path, config: Any, work: Path) -> list[Return]:
    folder.mkdir(parents=True, exist_ok=True)
    items = plan() + [proposal(config)]
    if variant == "openpyxl":
        fill_with_openpyxl(items, generated, folder)
    else:
        fill_with_libreoffice(items, generated, folder, variant, work)
    junk(folder)
    return items


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
