"""Every finding code partxl can report is produced here by a realistic case, through the public API.

``CASES`` is keyed by finding code: each case makes a return, a register or a folder of returns
the way officers and the MIO get them wrong, runs ``Workspace.generate``, ``.check`` or
``.consolidate`` on it, and says where the finding must point (file, sheet, cell, field,
partnership). The last test compares the table with the catalogue (``partxl.Code``) and with
the rule codes of the forms, so a code added without a case here fails it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import partxl
from partxl.returns.decisions import COLUMNS
from partxl.returns.ledger import Ledger

from . import finding_cases as fc
from . import hostile, hostile3, libreoffice, returns

AS_OF = fc.AS_OF
WHERE = ("file", "sheet", "cell", "field", "partnership")  # every case says each of these ("" where the finding has none)
Made = tuple[list[partxl.Finding], dict[str, Any]]  # the findings, and what the one for the code must hold

P001_NAME = "Wexbridge Community Safety Partnership"
INFO = "Partnership Information Form"


class Env:
    """The sample workbooks, generated once, and the bigger set-ups several cases share (each made when first needed)."""

    def __init__(self, root: Path):
        self.root = root
        self.ws = partxl.Workspace.load()
        self.issued = root / "issued"
        generated = self.ws.generate(self.issued, register=fc.SAMPLE_REGISTER, blank=True)
        assert generated.ok and not generated.findings, [f.code for f in generated.findings]
        self.folder = root / "returns"
        self.folder.mkdir()

    def source(self, pid: str) -> Path:
        path, = self.issued.glob(f"{pid} *.xlsx")
        return path

    @functools.cache  # noqa: B019 - one Env per module
    def names(self, pid: str) -> fc.Names:
        return returns.names(self.source(pid))

    def at(self, cell_name: str, pid: str = "P001") -> dict[str, str]:
        """Where the issued workbook of ``pid`` puts an answer, read with openpyxl: sheet and cell."""
        sheet, cell = self.names(pid)[cell_name]
        return {"sheet": sheet, "cell": cell}

    def fill(self, name: str, typed: dict[str, Any] | None = None, *changes: fc.Change, pid: str = "P001") -> Path:
        return fc.edit(self.source(pid), self.folder / name, typed, *changes)

    def check(self, path: Path, ws: partxl.Workspace | None = None) -> list[partxl.Finding]:
        return (ws or self.ws).check(path, as_of=AS_OF).findings

    # ------------------------------------------------------------ shared set-ups

    @functools.cached_property
    def register(self) -> tuple[Path, partxl.GenerateResult, dict[str, int]]:
        """A register with a mistake on each of several partnerships, issued from (only P006 and P024 asked for)."""
        reg = fc.Register()
        rows = {"no id": reg.append("Register", {"Partnership name": "Wexbridge Allotments Forum", "Status": "Active",
                                                 "Category": "Network group / forum"})}
        rows["again"] = reg.append("Register", {"Partnership ID": "P002", "Partnership name": "Northshire Health and Wellbeing Board"})
        reg.set("Register", "P003", "Date formed", "sometime in 2010")
        reg.set("Register", "P004", "Category", "Joint venture")
        reg.set("Register", "P006", "Lead officer", "Zoe Newcomer")  # joined the council after the configuration was written
        reg.set("Register", "P011", "Status", "Finished")  # not a status
        reg.append("Proposed", {"Partnership ID": "NEW-9C1F2A", "Partnership name": "Wexbridge Repair Cafe", "Status": "Proposed"})
        first = reg.row_values("Representatives", "P009")
        for n in range(2, 8):  # seven representatives; the form has room for six
            reg.append("Representatives", {**first, "Row": n, "Name": f"Cllr Member {n}"})
        reg.set("Assessment", "P010", "Row", "9. Mutual trust", nth=8)  # was "9. Trust"
        rows["orphan"] = reg.append("Representatives", {"Partnership ID": "P099", "Row": 1, "Name": "Cllr Sam Doe",
                                                        "Role": "Ward Member", "Date started": dt.datetime(2024, 5, 1)})
        evaluated = {**reg.row_values("Ceased", "P024"), "Lessons learnt": "Agree the exit strategy at the start."}
        reg.remove("Ceased", "P024")
        reg.append("Closed", evaluated)  # its evaluation came back last cycle
        path = reg.save(self.root / "register" / "register.xlsx")
        return path, self.ws.generate(self.root / "register" / "issued", register=path, only=("P006", "P024", "NEW-9C1F2A")), rows

    @functools.cached_property
    def cycle(self) -> partxl.ConsolidateResult:
        """A folder of returns as the MIO's inbox leaves it, consolidated over a register that does not know P006."""
        base = self.root / "cycle"
        folder = base / "returns"
        previous = fc.Register()
        previous.forget("P006")  # put on the register after last year's was written
        previous_path = previous.save(base / "last year.xlsx")
        fc.edit(self.source("P003"), folder / "P003 return.xlsx")
        (folder / "resent").mkdir()
        shutil.copyfile(folder / "P003 return.xlsx", folder / "resent" / "P003 return.xlsx")  # e-mailed twice
        (folder / "~$P003 return.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file, left while it was open
        fc.edit(self.source("P009"), folder / "P005 return.xlsx")  # P009's workbook, saved under the wrong name
        fc.saved_at(fc.edit(self.source("P015"), folder / "P015 first go.xlsx", {"info_reviewed_by": "J. Smith"}),
                    dt.datetime(2027, 4, 16, 9, 0))
        fc.saved_at(fc.edit(self.source("P015"), folder / "P015 corrected.xlsx",
                            {"info_reviewed_by": "Fiona Grant, Head of Corporate Services"}), dt.datetime(2027, 4, 17, 14, 30))
        fc.edit(self.source("P006"), folder / "P006 return.xlsx")
        fc.edit(self.issued / "New partnership proposal.xlsx", folder / "Youth voice proposal.xlsx", self._proposal())
        return self.ws.consolidate(folder, out=base / "out", previous=previous_path, as_of=AS_OF)

    @functools.cached_property
    def decided(self) -> partxl.ConsolidateResult:
        """The cycle consolidated again after the MIO filled in decisions.xlsx: a proposal agreed, a waiver without its
        reason, and a decision on a held return whose file has since gone."""
        base = self.root / "cycle"
        proposal = next(r for r in self.cycle.records if r.get("info_name") == "Wexbridge Youth Voice Forum")
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Decisions"
        sheet.append(list(COLUMNS))
        sheet.append(["Proposal", proposal.id, "Wexbridge Youth Voice Forum", "", "Agree", "P041", dt.datetime(2027, 6, 16),
                      "Agreed by SMT on 16 June 2027", "", proposal.id])
        sheet.append(["Finding", "P006", "No exit strategy", "", "Waive", "", "", "", "", "P006|EXIT_STRATEGY_MISSING"])
        book.save(base / "out" / "decisions.xlsx")
        gone = ("Held return", "a" * 64, "Accept", "P003", "", "Accepted after a call with the officer", "Priya Shah",
                "2027-04-18T10:00:00", "2026/27")
        with Ledger(base / "out" / "ledger.sqlite", key=self.ws.config.signing_key()) as ledger:
            ledger.decide(gone)  # recorded by an earlier run, on a file the officer has since replaced
        return self.ws.consolidate(base / "returns", out=base / "out", previous=base / "last year.xlsx", as_of=AS_OF)

    def decided_proposal(self) -> str:
        return next(r.id for r in self.cycle.records if r.get("info_name") == "Wexbridge Youth Voice Forum")

    def _proposal(self) -> dict[str, Any]:
        return returns.proposal(self.ws.config).typed  # the same complete proposal as the consolidate tests

    @functools.cached_property
    def last_year(self) -> Path:
        """P001's workbook as issued for last year's cycle (same council, same signing key)."""
        config = fc.config_file(self.root / "last-year.toml", self.ws.config.integrity_key,
                                cycle=("2025/26", dt.date(2026, 4, 20), dt.date(2026, 6, 26)))
        issued = partxl.Workspace.load(config=config).generate(self.root / "last-year", register=fc.SAMPLE_REGISTER, only=("P001",))
        path, = issued.files
        return path

    @functools.cached_property
    def next_year(self) -> partxl.Workspace:
        """The definitions as they will be next cycle: a question added to the information form (its version up by one)
        and a new form."""
        templates = fc.next_years_templates(self.root / "next-year-templates", self.ws.spec.form("info").version)
        return partxl.Workspace.load(config=fc.config_file(self.root / "next-year.toml", self.ws.config.integrity_key,
                                                           templates=templates))

    @functools.cached_property
    def next_years_workbook(self) -> Path:
        path, = self.next_year.generate(self.root / "next-year", register=fc.SAMPLE_REGISTER, only=("P001",)).files
        return path


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    return Env(tmp_path_factory.mktemp("finding-codes"))


@dataclass(frozen=True)
class Case:
    code: str
    severity: str
    make: Callable[[Env], Made]


CASES: dict[str, Case] = {}

# Codes no input can produce: {code: why}. Listed, never faked; see the completeness test.
UNREACHABLE: dict[str, str] = {}


def case(code: str, severity: str) -> Callable[[Callable[[Env], Made]], Callable[[Env], Made]]:
    def register(make: Callable[[Env], Made]) -> Callable[[Env], Made]:
        assert code not in CASES, f"two cases for {code}"
        CASES[code] = Case(code, severity, make)
        return make
    return register


def where(file: str, sheet: str = "", cell: str = "", field: str = "", partnership: str = "", **more: Any) -> dict[str, Any]:
    return dict(file=file, sheet=sheet, cell=cell, field=field, partnership=partnership, **more)


# ---------------------------------------------------------------- the register (read when issuing and consolidating)


def _register_findings(env: Env, *says: str | Callable[[dict[str, int]], str], **kw: Any) -> Made:
    """The findings of issuing from the faulty register; ``says`` may need the row numbers the rows were put on."""
    path, result, rows = env.register
    return result.findings, where(str(path), **kw, says=tuple(s if isinstance(s, str) else s(rows) for s in says))


@case("REGISTER_MISSING_ID", "error")
def _(env: Env) -> Made:
    return _register_findings(env, lambda rows: f"Row {rows['no id']} of the register", sheet="Register")


@case("REGISTER_DUPLICATE_ID", "error")
def _(env: Env) -> Made:
    return _register_findings(env, lambda rows: f"again on row {rows['again']};", sheet="Register", partnership="P002")


@case("REGISTER_VALUE_UNREADABLE", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, sheet="Register", field="Date formed", partnership="P003", value="sometime in 2010")


@case("REGISTER_CHOICE_UNKNOWN", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, sheet="Register", field="Type of arrangement", partnership="P004", value="Joint venture")


@case("REGISTER_UNKNOWN_OFFICER", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, field="Lead officer", partnership="P006", value="Zoe Newcomer")


@case("REGISTER_TOO_MANY_ROWS", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, "has 7 rows", "room for 6", sheet="Representatives", field="Council representative(s)",
                              partnership="P009")


@case("REGISTER_UNKNOWN_ROW", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, sheet="Assessment", field="Partnership assessment", partnership="P010", value="9. Mutual trust")


@case("REGISTER_STATUS_UNKNOWN", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, "reads 'Finished'", sheet="Register", partnership="P011", value="Finished")


@case("REGISTER_ORPHAN_ROW", "warning")
def _(env: Env) -> Made:
    return _register_findings(env, lambda rows: f"row {rows['orphan']} is", sheet="Representatives", partnership="P099")


@case("PROPOSAL_NOT_ISSUED", "info")
def _(env: Env) -> Made:
    _, result, _ = env.register
    assert not any(p.name.startswith("NEW-") for p in result.files)
    return _register_findings(env, partnership="NEW-9C1F2A")


@case("CLOSED_NOT_ISSUED", "info")
def _(env: Env) -> Made:
    _, result, _ = env.register
    issued = {p.name.split(" ")[0] for p in result.files}
    assert issued == {"P006"}, issued  # P024 was asked for too, and got no workbook
    return _register_findings(env, partnership="P024")


# ---------------------------------------------------------------- opening a file


@case("FILE_EMPTY", "error")
def _(env: Env) -> Made:
    path = env.folder / "P001 return (empty).xlsx"
    path.write_bytes(b"")  # an attachment that failed to download
    return env.check(path), where(path.name)


@case("FILE_NOT_WORKBOOK", "error")
def _(env: Env) -> Made:
    path = env.folder / "covering note.txt"
    path.write_text("Dear Priya, please find attached our return.\n")
    return env.check(path), where(path.name, says=("a .txt",))


@case("FILE_ENCRYPTED", "error")
def _(env: Env) -> Made:
    path = fc.encrypted(env.source("P001"), env.folder / "P001 return (password).xlsx")
    return env.check(path), where(path.name)


@case("FILE_LABEL_PROTECTED", "error")
def _(env: Env) -> Made:
    from . import mail_cases

    path = env.folder / "P001 return (labelled).xlsx"  # Excel encrypts it under the label: no password opens it
    path.write_bytes(mail_cases.labelled_workbook("OFFICIAL-SENSITIVE"))
    return env.check(path), where(path.name, says=("sensitivity label ('OFFICIAL-SENSITIVE')",))


@case("FILE_DAMAGED", "error")
def _(env: Env) -> Made:
    data = env.source("P001").read_bytes()
    path = env.folder / "P001 return (cut short).xlsx"
    path.write_bytes(data[: len(data) // 2])  # a mail gateway's truncation
    return env.check(path), where(path.name)


@case("FILE_TOO_LARGE", "error")
def _(env: Env) -> Made:
    path = fc.huge_part(64 << 20)(env.source("P001"), env.folder / "P001 return (with a video).xlsx")
    return env.check(path), where(path.name, says=("xl/media/image1.bin",))


@case("FILE_HOSTILE_XML", "error")
def _(env: Env) -> Made:
    path = fc.zip_copy(env.source("P001"), env.folder / "P001 return (entities).xlsx",
                       lambda name, data: fc.ENTITY_BOMB if name == "docProps/core.xml" else data)
    return env.check(path), where(path.name, says=("docProps/core.xml",))


@case("FILE_AMBIGUOUS", "error")
def _(env: Env) -> Made:
    """A value beside an inline string: calamine shows the string, LibreOffice shows nothing (tests/hostile3.py)."""
    def change(name: str, data: bytes) -> bytes:
        if name != hostile._sheet_part(env.source("P001"), "Information"):
            return data
        return re.sub(rb'(<c r="B18"[^>]*?)( t="[a-zA-Z]+")?(/>|>.*?</c>)', rb'\1 t="inlineStr"><v>5</v><is><t>x</t></is></c>',
                      data, count=1)
    path = fc.zip_copy(env.source("P001"), env.folder / "P001 return (two readings).xlsx", change)
    return env.check(path), where(path.name, says=("B18", "'Information'"))


@case("FILE_STRICT_XLSX", "error")
def _(env: Env) -> Made:
    """Saved as 'Strict Open XML Spreadsheet' (tests/hostile3.py writes the namespaces as Excel does)."""
    path = env.folder / "P001 return (strict).xlsx"
    hostile3._strict(env.source("P001"), path)
    return env.check(path), where(path.name, says=("Strict Open XML",))


@case("FILE_UNREADABLE", "error")
def _(env: Env) -> Made:
    path = env.folder / "P001 return (shortcut).xlsx"
    path.symlink_to(env.root / "moved away" / "P001 return.xlsx")  # a shortcut to a file that has since moved
    return env.check(path), where(path.name)


@case("FILE_SKIPPED", "info")
def _(env: Env) -> Made:
    return env.cycle.findings, where("~$P003 return.xlsx", says=("Office lock file",))


@case("MACROS_IGNORED", "warning")
def _(env: Env) -> Made:
    path = fc.zip_copy(env.source("P001"), env.folder / "P001 return.xlsm", extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 a macro"})
    return env.check(path), where(path.name, partnership="P001")


# ---------------------------------------------------------------- is it ours, and intact?


@case("NOT_ISSUED", "error")
def _(env: Env) -> Made:
    book = openpyxl.Workbook()  # the officer's own spreadsheet, answers retyped
    book.active.title = "Information"
    book.active.append(["Name of partnership", P001_NAME])
    path = env.folder / "P001 our own version.xlsx"
    book.save(path)
    return env.check(path), where(path.name)


@case("METADATA_EDITED", "error")
def _(env: Env) -> Made:
    path = env.fill("P001 return (id changed).xlsx", None, fc.metadata(partnership_id="P013"))
    return env.check(path), where(path.name, partnership="", value="P013")  # nobody's: P013 is only what the details claim


@case("WRONG_CYCLE", "error")
def _(env: Env) -> Made:
    path = fc.edit(env.last_year, env.folder / "P001 last year's workbook.xlsx")
    return env.check(path), where(path.name, partnership="P001", says=("2025/26", "not 2026/27"))


@case("FORM_UNKNOWN", "error")
def _(env: Env) -> Made:
    return env.check(env.next_years_workbook), where(env.next_years_workbook.name, partnership="P001", form="audit")


@case("FORM_VERSION_NEWER", "error")
def _(env: Env) -> Made:
    now = env.ws.spec.form("info").version
    return env.check(env.next_years_workbook), where(env.next_years_workbook.name, "Information", partnership="P001", form=INFO,
                                                     says=(f"version {now + 1}", f"({now})"))


@case("FORM_VERSION_OLD", "warning")
def _(env: Env) -> Made:
    path = env.source("P001")  # this cycle's workbook, checked after the definitions were updated
    findings = env.check(path, env.next_year)
    assert ("MISSING", "Partnership website") in {(f.code, f.field) for f in findings}  # the question added since
    now = env.ws.spec.form("info").version
    return findings, where(path.name, "Information", partnership="P001", form=INFO,
                           says=(f"version {now}", f"current version is {now + 1}"))


@case("SHEET_MISSING", "error")
def _(env: Env) -> Made:
    path = env.fill("P001 return (sheet deleted).xlsx", None, fc.drop("Assessment"))
    return env.check(path), where(path.name, "Assessment", partnership="P001", form="Partnership assessment")


@case("PROTECTION_REMOVED", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (unprotected).xlsx", None, fc.unprotect("Significance"))
    return env.check(path), where(path.name, "Significance", partnership="P001")


@case("STRUCTURE_MOVED", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (rows inserted).xlsx", None, fc.insert_rows("Information", 2))
    return env.check(path), where(path.name, "Information", partnership="P001", form=INFO)


@case("SHEET_RENAMED", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (sheet renamed).xlsx", None, fc.rename("Information", "Info form"))
    return env.check(path), where(path.name, "Info form", partnership="P001", says=("'Information' has been renamed",))


@case("SHEET_HIDDEN", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (sheet hidden).xlsx", None, fc.hide("Significance"))
    return env.check(path), where(path.name, "Significance", partnership="P001")


@case("ANSWER_CELL_DELETED", "error")
def _(env: Env) -> Made:
    path = env.fill("P001 return (row deleted).xlsx", None, fc.delete_row_of("info_lead_officer"))
    return env.check(path), where(path.name, "Information", field="Lead officer or Member (Responsible Officer)", partnership="P001")


@case("IDENTITY_MISMATCH", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (details copied).xlsx", None, fc.metadata_of(env.source("P002")))  # P002's, pasted into P001's
    return env.check(path), where(path.name, **env.at("info_name"), field="Name of partnership", partnership="P002", value=P001_NAME)


@case("DETAILS_COPIED", "warning")
def _(env: Env) -> Made:
    """P001's signed details pasted into P002's workbook, with the name answer made to match them: the headings tell."""
    path = env.fill("P001 return (P002's workbook).xlsx", {"info_name": P001_NAME}, fc.metadata_of(env.source("P001")), pid="P002")
    return env.check(path), where(path.name, "Information", "A2", partnership="P001",
                                  value="Northshire Health and Wellbeing Board (P002)", says=(P001_NAME,))


@case("OFFICER_MISMATCH", "warning")
def _(env: Env) -> Made:
    issued_to = env.ws.check(env.source("P001")).metadata["issued_to"]
    other = next(o.name for o in env.ws.config.officers if o.name != issued_to)
    path = env.fill("P001 return (new officer).xlsx", {"info_lead_officer": other})
    return env.check(path), where(path.name, **env.at("info_lead_officer"), field="Lead officer or Member (Responsible Officer)",
                                  partnership="P001", value=other, says=(issued_to,))


@case("NAME_MISSING", "warning")
def _(env: Env) -> Made:
    path = env.fill("P001 return (name deleted).xlsx", None, fc.forget_name("info_meetings"))
    return env.check(path), where(path.name, **env.at("info_meetings"), field="Likely location / frequency of meetings", partnership="P001")


@case("NAMES_UNAVAILABLE", "warning")
def _(env: Env) -> Made:
    path, = libreoffice.convert([env.source("P001")], "xls", env.root / "xls")  # "Save as Excel 97-2003 workbook"
    return env.check(path), where(path.name, partnership="P001", says=("This .xls file",))  # once for the file, not a sheet


# ---------------------------------------------------------------- answers


def _answer(env: Env, code_name: str, typed: dict[str, Any], cell_name: str, label: str, *changes: fc.Change,
            pid: str = "P001", **more: Any) -> Made:
    path = env.fill(f"{pid} return ({code_name}).xlsx", typed, *changes, pid=pid)
    return env.check(path), where(path.name, **env.at(cell_name, pid), field=label, partnership=pid, **more)


@case("MISSING", "error")
def _(env: Env) -> Made:
    return _answer(env, "missing", {"info_accountable_body": None}, "info_accountable_body",
                   "Organisation that the partnership is responsible to (accountable body)", form=INFO)


@case("INVALID", "error")
def _(env: Env) -> Made:
    return _answer(env, "invalid", {"info_council_funding": "about five thousand"}, "info_council_funding",
                   _label(env, "info", "council_funding"), value="about five thousand")


@case("NOT_A_CHOICE", "error")
def _(env: Env) -> Made:
    return _answer(env, "not a choice", {"info_strategic_objective": "Better bins"}, "info_strategic_objective",
                   "Council strategic objective it contributes to most", value="Better bins")


@case("OUT_OF_RANGE", "error")
def _(env: Env) -> Made:  # Excel keeps a date before 1900 as the text typed
    return _answer(env, "out of range", {"info_date_formed": "01/03/1850"}, "info_date_formed", "Date formed",
                   value="01/03/1850")


@case("TOO_LONG", "error")
def _(env: Env) -> Made:
    return _answer(env, "too long", {"info_meetings": "County Hall, " + "and elsewhere " * 30}, "info_meetings",
                   "Likely location / frequency of meetings", says=("the most allowed is 255",))


@case("TOO_FEW_ROWS", "error")
def _(env: Env) -> Made:
    reps = env.ws.spec.form("info").item("reps")
    cleared = {f"info_reps_{row}_{column.id}": None for row in (1, 2) for column in reps.columns}  # type: ignore[union-attr]
    return _answer(env, "no representatives", cleared, "info_reps_1_name", "Council representative(s)", says=("at least 1 row",))


@case("ERROR_VALUE", "error")
def _(env: Env) -> Made:
    return _answer(env, "error value", None, "info_council_funding", _label(env, "info", "council_funding"),
                   fc.error_value("info_council_funding", "#DIV/0!"), value="#DIV/0!")


@case("FORMULA_IN_INPUT", "warning")
def _(env: Env) -> Made:
    return _answer(env, "formula", None, "info_comments", "Additional information / comments",
                   fc.formula("info_comments", '=CONCATENATE("See the ","minutes")'))


# ---------------------------------------------------------------- rules of the forms (codes from workbook_templates)


@case("DATE_ORDER", "error")
def _(env: Env) -> Made:
    return _answer(env, "end before start", {"info_end_date": dt.datetime(2001, 1, 1)}, "info_end_date", "Proposed end date (if any)",
                   value="01/01/2001", form=INFO)


@case("MISSING_CONDITIONAL", "error")
def _(env: Env) -> Made:
    return _answer(env, "no agreement type", {"info_agreement_type": None}, "info_agreement_type", "Type of agreement")


@case("INCONSISTENT", "warning")
def _(env: Env) -> Made:
    return _answer(env, "not statutory duty", {"significance_statutory_duty": "No"}, "significance_statutory_duty",
                   _label(env, "significance", "statutory_duty"), value="No", form=_title(env, "significance"))


@case("AGREEMENT_MISSING", "warning")
def _(env: Env) -> Made:
    return _answer(env, "no agreement", {"info_has_agreement": "No", "info_agreement_type": None}, "info_has_agreement",
                   _label(env, "info", "has_agreement"), value="No")


@case("EXIT_STRATEGY_MISSING", "warning")
def _(env: Env) -> Made:
    return _answer(env, "no exit strategy", {"info_exit_strategy": "No"}, "info_exit_strategy", "Is there a clear exit strategy?",
                   value="No")


@case("REVIEW_OVERDUE", "warning")
def _(env: Env) -> Made:
    return _answer(env, "old review", {"info_review_date": dt.datetime(2026, 2, 24)}, "info_review_date",
                   "Date of last performance review", value="24/02/2026")


@case("ENDED_NO_EVALUATION", "warning")
def _(env: Env) -> Made:
    return _answer(env, "ended", {"info_end_date": dt.datetime(2027, 3, 27)}, "info_end_date", "Proposed end date (if any)",
                   value="27/03/2027")


@case("REPRESENTATIVE_NO_SUCCESSOR", "warning")
def _(env: Env) -> Made:
    return _answer(env, "no successor", {"info_reps_2_finished": dt.datetime(2027, 3, 27)}, "info_reps_2_finished",
                   "Council representative(s)")


@case("HANDOVER_NOT_RECORDED", "warning")
def _(env: Env) -> Made:
    handover = {"info_reps_2_finished": dt.datetime(2027, 2, 24), "info_reps_3_name": "Cllr New Person",
                "info_reps_3_role": "Cabinet Member", "info_reps_3_started": dt.datetime(2027, 2, 25),
                "info_reps_3_trustee_director": "No"}
    return _answer(env, "handover", handover, "info_reps_2_finished", "Council representative 2: Date finished", value="24/02/2027")


@case("CATEGORY_STATUTORY_MISMATCH", "error")
def _(env: Env) -> Made:  # P001 is statutory, filed under a non-statutory heading
    return _answer(env, "category", {"info_category": "Community-based partnership"}, "info_category", "Type of arrangement",
                   value="Community-based partnership", form=INFO)


@case("FUNDS_NOT_AGREED", "warning")
def _(env: Env) -> Made:
    typed = {"info_budget_position": "Additional funds required", "info_additional_funds": 5000, "info_smt_agreed_funds": "No"}
    return _answer(env, "funds not agreed", typed, "info_smt_agreed_funds", _label(env, "info", "smt_agreed_funds"), value="No")


@case("RISKS_NOT_ON_SCORECARD", "warning")
def _(env: Env) -> Made:
    return _answer(env, "risks not on the scorecard", {"info_risk_scorecard": "No"}, "info_risk_scorecard",
                   _label(env, "info", "risk_scorecard"), value="No")


@case("AGREEMENT_TYPE_NOT_ACCEPTED", "warning")
def _(env: Env) -> Made:  # this council asks a constitution of its statutory partnerships
    ws = partxl.Workspace.load(config=fc.config_file(env.root / "agreements.toml", env.ws.config.integrity_key,
                                                     policy='agreement_types = { "Statutory partnership" = ["Constitution"] }'))
    path = env.fill("P001 return (agreement type).xlsx", {"info_agreement_type": "Terms of reference"})
    return env.check(path, ws), where(path.name, **env.at("info_agreement_type"), field="Type of agreement", partnership="P001",
                                      value="Terms of reference")


@case("SIGNIFICANCE_EVIDENCE", "warning")
def _(env: Env) -> Made:  # P001 shows features (a statutory duty, a grant over £100,000) but is called not significant
    typed = {"significance_key_to_priorities": "No", "significance_national_influence": "No"}
    return _answer(env, "not significant", typed, "significance_significant", "Significant partnership", value="No",
                   form=_title(env, "significance"))


RISK_GAPS = {  # code: (cell name, what is typed on the Risk checklist)
    "RISK_TOR_NOT_AGREED": ("risk_tor_agreed", {}),
    "RISK_RESPONSIBILITIES_UNDEFINED": ("risk_responsibilities_defined", {}),
    "RISK_RESPONSIBILITIES_NOT_AGREED": ("risk_responsibilities_agreed", {}),
    "RISK_ACCOUNTS_NOT_REPORTED": ("risk_accounts_reported", {}),
    "RISK_NOT_ASSESSED": ("risk_council_assessed", {}),  # the Council leads P001
    "RISK_ASSESSMENT_DISPUTED": ("risk_council_agrees", {"risk_lead_authority": "No", "risk_partnership_assessed": "Yes"}),
    "RISK_LIABILITIES_UNDEFINED": ("risk_liabilities_defined", {}),
    "RISK_NOT_INSURED": ("risk_insured", {}),
    "RISK_REPORTING_FREQUENCY_UNSET": ("risk_reporting_frequency", {}),
    "RISK_REPORTING_LINE_UNSET": ("risk_reporting_to", {}),
}


def _risk_gap(code: str) -> Callable[[Env], Made]:
    cell, context = RISK_GAPS[code]

    def make(env: Env) -> Made:
        field = cell.removeprefix("risk_")
        return _answer(env, code.lower(), {**context, cell: "No"}, cell, _label(env, "risk", field), value="No",
                       form=_title(env, "risk"))
    return make


for _code in RISK_GAPS:
    case(_code, "warning")(_risk_gap(_code))


def _proposal_answer(env: Env, name: str, typed: dict[str, Any], cell: str, label: str, **more: Any) -> Made:
    """The complete proposal of the consolidate tests with ``typed`` changed, checked as the officer would."""
    blank = env.issued / "New partnership proposal.xlsx"
    path = fc.edit(blank, env.folder / f"Youth voice proposal ({name}).xlsx", {**env._proposal(), **typed})
    sheet, address = returns.names(blank)[cell]
    return env.check(path), where(path.name, sheet, address, field=label, partnership="NEW", form=_title(env, "proposal"), **more)


@case("CRITERION_NOT_MET", "warning")
def _(env: Env) -> Made:
    return _proposal_answer(env, "criterion", {"proposal_criteria_benefits_met": "No"}, "proposal_criteria_benefits_met",
                            "Benefits to the district: Met?", value="No")


@case("CANNOT_CONTRIBUTE", "warning")
def _(env: Env) -> Made:
    return _proposal_answer(env, "cannot contribute", {"proposal_can_contribute": "No"}, "proposal_can_contribute",
                            _label(env, "proposal", "can_contribute"), value="No")


@case("EIA_NOT_PLANNED", "warning")
def _(env: Env) -> Made:
    typed = {"proposal_eia": "No", "proposal_eia_details": "The partnership's actions affect no group differently."}
    return _proposal_answer(env, "no EIA", typed, "proposal_eia", _label(env, "proposal", "eia"), value="No")


def _label(env: Env, form: str, field: str) -> str:
    return env.ws.spec.forms[form].item(field).label


def _title(env: Env, form: str) -> str:
    return env.ws.spec.forms[form].title


# ---------------------------------------------------------------- the MIO's decisions


@case("DECISION_APPLIED", "info")
def _(env: Env) -> Made:
    assert "P041" in {r.id for r in env.decided.records}  # the proposal, now under its permanent ID
    return env.decided.findings, where("Youth voice proposal.xlsx", partnership=env.decided_proposal(), says=("Agree", "Priya Shah"))


@case("DECISION_INVALID", "warning")
def _(env: Env) -> Made:
    return env.decided.findings, where("decisions.xlsx", "Decisions", "E3", partnership="P006", value="Waive",
                                       says=("give the reason",))


@case("DECISION_STALE", "warning")
def _(env: Env) -> Made:
    return env.decided.findings, where("", says=("aaaaaaaaaaaa", "no longer there"))


@case("DECISIONS_UNREADABLE", "warning")
def _(env: Env) -> Made:
    out = env.root / "unreadable"
    out.mkdir()
    (out / "decisions.xlsx").write_bytes(b"not a workbook at all")
    folder = env.root / "unreadable-returns"
    fc.edit(env.source("P003"), folder / "P003 return.xlsx")
    result = env.ws.consolidate(folder, out=out, as_of=AS_OF)
    assert (out / "superseded").is_dir() and any(p.name.startswith("decisions.") for p in (out / "superseded").iterdir())
    return result.findings, where("decisions.xlsx", says=("could not be read",))


# ---------------------------------------------------------------- across returns (consolidate)


@case("SAME_FILE_TWICE", "info")
def _(env: Env) -> Made:
    return env.cycle.findings, where("resent/P003 return.xlsx", partnership="P003", says=("identical to P003 return.xlsx",))


@case("FILENAME_MISMATCH", "warning")
def _(env: Env) -> Made:
    return env.cycle.findings, where("P005 return.xlsx", partnership="P009", says=("as if for P005",))


@case("DUPLICATE_RETURN", "warning")
def _(env: Env) -> Made:
    return env.cycle.findings, where("P015 first go.xlsx", partnership="P015", says=("(P015 corrected.xlsx) is newer",))


def _arrivals(env: Env, name: str, *arrivals: tuple[str, dt.datetime]) -> Path:
    """A returns folder of P003's workbook, once per arrival (file name, when it landed), each with its own answer."""
    folder = env.root / name / "returns"
    for n, (file, when) in enumerate(arrivals):
        fc.edit(env.source("P003"), folder / file, {"info_meetings": f"Version {n + 1}"})
        stamp = when.replace(tzinfo=dt.UTC).timestamp()
        os.utime(folder / file, (stamp, stamp))
    return folder


@case("ORDER_UNCLEAR", "warning")
def _(env: Env) -> Made:
    when = dt.datetime(2027, 4, 16, 9, 0)
    folder = _arrivals(env, "together", ("P003 return.xlsx", when), ("P003 again.xlsx", when))  # copied in at once
    result = env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    return result.findings, where("P003 again.xlsx", partnership="P003", says=("P003 return.xlsx",))


@case("RETURN_GONE", "info")
def _(env: Env) -> Made:
    folder = _arrivals(env, "gone", ("P003 return.xlsx", dt.datetime(2027, 4, 16, 9, 0)))
    env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    (folder / "P003 return.xlsx").unlink()  # the MIO tidies it away
    result = env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    return result.findings, where("P003 return.xlsx", partnership="P003")


def _ledger_edited(env: Env, name: str, remove: bool) -> Made:
    """P003's return consolidated, its record then edited in the ledger by hand (and its file tidied away, or not)."""
    folder = _arrivals(env, name, ("P003 return.xlsx", dt.datetime(2027, 4, 16, 9, 0)))
    env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    if remove:
        (folder / "P003 return.xlsx").unlink()
    with closing(sqlite3.connect(folder.parent / "out" / "ledger.sqlite")) as db, db:
        db.execute("UPDATE files SET partnership = 'P004'")
    result = env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    return result.findings, where("P003 return.xlsx", partnership="P003" if not remove else "P004")


@case("LEDGER_ROW_REREAD", "warning")
def _(env: Env) -> Made:
    return _ledger_edited(env, "edited", remove=False)


@case("LEDGER_ROW_ALTERED", "error")
def _(env: Env) -> Made:
    return _ledger_edited(env, "edited and gone", remove=True)


def _waiver_edited(env: Env, name: str, edit: str) -> list[partxl.Finding]:
    """The findings of a run after a waiver the MIO recorded was edited in the ledger by hand (the SQL ``edit``)."""
    folder = _arrivals(env, name, ("P003 return.xlsx", dt.datetime(2027, 4, 16, 9, 0)))
    out = folder.parent / "out"
    env.ws.consolidate(folder, out=out, previous=fc.SAMPLE_REGISTER, as_of=AS_OF)
    with Ledger(out / "ledger.sqlite", key=env.ws.config.signing_key()) as ledger:
        ledger.decide(("Finding", "P003|EXIT_STRATEGY_MISSING", "Waive", "", "", "Works to its terms of reference", "Priya Shah",
                       "2027-04-18T10:00:00", "2026/27"))
    with closing(sqlite3.connect(out / "ledger.sqlite")) as db, db:
        db.execute(edit)
    return env.ws.consolidate(folder, out=out, previous=fc.SAMPLE_REGISTER, as_of=AS_OF).findings


@case("DECISION_ALTERED", "error")
def _(env: Env) -> Made:
    """A waiver the MIO recorded, made into another in the ledger by hand."""
    findings = _waiver_edited(env, "decision edited", "UPDATE decisions SET key = 'P003|AGREEMENT_MISSING'")
    return findings, where("", partnership="P003", says=("Waive", "recorded 2027-04-18 by Priya Shah"))


@case("DECISION_LOG_ALTERED", "warning")
def _(env: Env) -> Made:
    """A waiver the MIO recorded, its entry in the decision log (the audit trail) rewritten by hand."""
    findings = _waiver_edited(env, "decision log edited", "UPDATE decision_log SET who = 'Internal Audit'")
    assert "DECISION_ALTERED" not in {f.code for f in findings}  # the decision in force is as recorded
    return findings, where("", partnership="P003", says=("Waive", "recorded 2027-04-18 by Internal Audit"))


@case("SAVED_DATE_ODD", "warning")
def _(env: Env) -> Made:
    path = fc.saved_at(env.fill("P001 return (clock wrong).xlsx"), dt.datetime(2099, 1, 1, 9, 0))
    return env.check(path), where(path.name, partnership="P001", value="01/01/2099 09:00", says=("in the future",))


@case("NEW_PROPOSAL", "warning")
def _(env: Env) -> Made:
    proposal = next(r for r in env.cycle.records if r.get("info_name") == "Wexbridge Youth Voice Forum")
    assert proposal.id.startswith("NEW-")
    return env.cycle.findings, where("Youth voice proposal.xlsx", partnership=proposal.id, value="Wexbridge Youth Voice Forum")


@case("UNKNOWN_PARTNERSHIP", "warning")
def _(env: Env) -> Made:
    return env.cycle.findings, where("P006 return.xlsx", partnership="P006")


@case("EXCLUDED", "info")
def _(env: Env) -> Made:
    return env.cycle.findings, where("", field="Type of arrangement", partnership="P034", value="contractual arrangement")


@case("NOT_RETURNED", "warning")
def _(env: Env) -> Made:
    return env.cycle.findings, where("", partnership="P010")


# ---------------------------------------------------------------- files that once stopped the run (tests/hostile2.py)


@case("FILE_SHEET_TOO_LARGE", "error")
def _(env: Env) -> Made:
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>a note far out</t></is></c></row></sheetData>'
    path = fc.zip_copy(env.source("P001"), env.folder / "P001 return (far cell).xlsx",  # typed at the sheet's very end
                       lambda name, data: data.replace(b"</sheetData>", far, 1) if name == "xl/worksheets/sheet3.xml" else data)
    return env.check(path), where(path.name, says=("'Information' reaches cell XFD1048576",))


def _consolidated_alone(env: Env, folder_name: str, make: Callable[[Path], Path]) -> partxl.ConsolidateResult:
    """A folder of one return, made by ``make(folder)``, consolidated (the reader runs in a worker process)."""
    folder = env.root / folder_name / "returns"
    folder.mkdir(parents=True)
    make(folder)
    return env.ws.consolidate(folder, out=folder.parent / "out", previous=fc.SAMPLE_REGISTER, as_of=AS_OF)


@case("FILE_CRASHED", "error")
def _(env: Env) -> Made:
    from . import hostile2

    def make(folder: Path) -> Path:  # saved as .xls by an old tool that wrote its dimensions wrong: the reader aborts
        hostile2.xls_abort(env.source("P001"), folder / "P001 return.xls")
        return folder / "P001 return.xls"
    return _consolidated_alone(env, "crashing", make).findings, where("P001 return.xls", says=("SIGABRT",))


@case("FILE_TIMED_OUT", "error")
def _(env: Env) -> Made:
    import os

    os.environ["PARTXL_JOB_SECONDS"] = "0.001"  # a machine so slow that reading any return takes longer than the limit
    try:
        result = _consolidated_alone(env, "slow", lambda folder: shutil.copyfile(env.source("P001"), folder / "P001 return.xlsx"))
    finally:
        del os.environ["PARTXL_JOB_SECONDS"]
    return result.findings, where("P001 return.xlsx", says=("longer than 0.001 seconds",))


# ---------------------------------------------------------------- the tests


def _matches(finding: partxl.Finding, expected: dict[str, Any]) -> bool:
    return all(getattr(finding, key) == value for key, value in expected.items() if key != "says") and \
        all(text in finding.message for text in expected.get("says", ()))


def test_the_cases_start_from_clean_workbooks(env: Env):
    """Every workbook a case changes is issued clean, so each finding comes from the case's own change."""
    for pid in ("P001", "P002", "P003", "P006", "P009", "P015"):
        assert env.check(env.source(pid)) == [], pid


NEEDS_LIBREOFFICE = {"NAMES_UNAVAILABLE"}  # made by saving in the old .xls format, which only a real office suite writes


@pytest.mark.parametrize("code", [pytest.param(c, marks=pytest.mark.libreoffice) if c in NEEDS_LIBREOFFICE else c for c in sorted(CASES)])
def test_the_case_produces_its_finding(env: Env, code: str):
    case = CASES[code]
    findings, expected = case.make(env)
    assert set(WHERE) <= set(expected), f"the case for {code} must say where the finding points"
    produced = [f for f in findings if f.code == code]
    assert produced, f"{code} was not reported; the case gave {sorted({f.code for f in findings})}"
    matching = [f for f in produced if _matches(f, expected)]
    assert len(matching) == 1, f"{code}: expected one finding with {expected}, got {[f.as_dict() for f in produced]}"
    finding, = matching
    assert finding.severity == case.severity
    assert finding.message and "{" not in finding.message and "}" not in finding.message


def test_every_finding_code_has_a_case():
    """Every code of the catalogue and every rule code of the shipped forms: a case here, or listed as unreachable."""
    ws = partxl.Workspace.load()
    catalogue = {code.name for code in partxl.Code}
    rules = {rule.code for form in ws.spec.forms.values() for rule in form.rules}
    assert len(catalogue) > 40 and {"REVIEW_OVERDUE", "DATE_ORDER", "MISSING_CONDITIONAL"} <= rules
    assert not set(CASES) & set(UNREACHABLE), "a code cannot be both produced and unreachable"
    uncovered = (catalogue | rules) - set(CASES) - set(UNREACHABLE)
    assert not uncovered, f"finding codes without a case in {Path(__file__).name}: {sorted(uncovered)}"
    stale = (set(CASES) | set(UNREACHABLE)) - catalogue - rules
    assert not stale, f"cases for codes partxl no longer has: {sorted(stale)}"
