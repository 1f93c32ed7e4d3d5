"""One partnership's own report: what a scrutiny panel reads about it.

The executive report asks for analyses of specific partnerships' performance by a scrutiny panel. This
workbook puts what partxl knows of one partnership on printable sheets: its entry on the register (as
the register shows it), its assessment scores in every cycle the ledger recorded, the findings on its
returns this cycle, its history (every return received and what became of it, every decision the MIO
took on it) and every answer of every form, labelled as the forms label them.

As the committee summary is, it is made in two steps: :func:`partnership_model` works out everything
as data from the register and the ledger, then one function per sheet draws it. The answers of a form
(:func:`form_answers`, :func:`answers_sheet`) are shared with the evaluation reports
(``partxl.outputs.evaluation``), so both follow the form definitions as a council edits them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import replace_keeping_copy, safe_filename
from partxl.findings import WARNING, Code, Finding, errors
from partxl.forms import contract
from partxl.forms.definitions import Field, Form, Spec, Table
from partxl.forms.fieldtypes import pounds
from partxl.forms.names import cell_name
from partxl.outputs.pdf import to_pdf
from partxl.outputs.summary import SCORE_MEANING, About, Pen, pen_for
from partxl.register.model import OWES_NOTHING, SOURCE_COLUMN, Record, ReturnState, facts, register_columns, score_table, stage
from partxl.register.read import RegisterFile, read_register
from partxl.returns.decisions import Choice, Decided, Decision, Kind, in_force
from partxl.returns.ledger import Entry, Ledger
from partxl.returns.lifecycle import RETURNS, arrange, settle
from partxl.returns.results import Outcome
from partxl.returns.validate import misnamed
from partxl.xlsx import BOOK_OPTIONS, FastWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import BOOK_FONT, FONT, NAVY, PAGE_OF, Column, across, header_text, print_setup, with_language, write_table

Cell = str | int | float | dt.date | None
"""A value a sheet writes as it is: text as text, a number as a number, a date as a date, nothing as a blank cell."""

LINE = 13  # points a wrapped line of Arial 10 takes
BOLD = 0.85  # bold text takes about this much more room: a column of it holds this share of the characters
NOT_ANSWERED = "Not answered"
ON_REGISTER = "Register"  # the scores column of answers the register holds from before the ledger
MOST_LINES = 28  # lines of one cell: a longer answer goes on as many rows as it needs (a row prints at most 409 points)
_FORMAT_OF = {"date": "date", "money": "money", "integer": "number", "score": "number", "number": "decimal"}  # type -> format


class UnknownPartnership(PartxlError):
    """The register has no partnership with the ID asked for."""


# ---------------------------------------------------------------- the answers of a form (shared with the evaluation reports)


@dataclass(frozen=True)
class Answer:
    """One question of a form and its answer (a table's row: its cells' answers, one line each)."""

    question: str
    value: Cell  # None: not answered
    kind: str  # the field's type, which says how the value is shown ("table" for a table's row)


@dataclass(frozen=True)
class SectionAnswers:
    title: str
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class FormAnswers:
    """Every question of one form, in the form's order, with the answers a partnership gave."""

    id: str
    title: str
    source: str  # where the policy asks for it ("Partnership Policy, Appendix 4")
    sections: tuple[SectionAnswers, ...]

    @property
    def answered(self) -> bool:
        return any(a.value not in (None, "") for s in self.sections for a in s.answers)


def form_answers(form: Form, values: Mapping[str, Any]) -> FormAnswers:
    """``form``'s questions with the answers in ``values`` (keyed by cell name), labelled as the form labels them. (What
    a form works out, whether a partnership is significant say, is on the register entry, as the register works it out.)"""
    sections = [SectionAnswers(s.title, tuple(a for item in s.items for a in _item_answers(form, item, values)))
                for s in form.sections]
    return FormAnswers(form.id, form.title, form.source, tuple(sections))


def _item_answers(form: Form, item: Field | Table, values: Mapping[str, Any]) -> Iterator[Answer]:
    if isinstance(item, Field):
        yield Answer(item.label, _blank_as_none(values.get(cell_name(form.id, item.id))), item.type)
        return
    rows = [(item.row_label(key), _row_text(form, item, key, values)) for key in item.row_keys()]
    if item.fixed:  # every listed row is a question of its own
        yield from (Answer(label, text or None, "table") for label, text in rows)
        return
    filled = [Answer(label, text, "table") for label, text in rows if text]
    yield from filled or [Answer(item.label, None, "table")]


def _row_text(form: Form, table: Table, key: str, values: Mapping[str, Any]) -> str:
    """A table row's answers, a line each: "Score (1–4): 3 – Action identified – being implemented"."""
    lines = []
    for column in table.columns:
        value = _blank_as_none(values.get(cell_name(form.id, table.id, key, column.id)))
        if value is not None:
            lines.append(f"{column.label}: {shown(column.type, value)}")
    return "\n".join(lines)


def shown(kind: str, value: Any) -> str:
    """A value as a reader reads it in running text: dates as 31/03/2027, money in pounds, a score with its meaning."""
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if kind == "money" and isinstance(value, (int, float)):
        return pounds(value)
    if kind == "score" and value in SCORE_MEANING:
        return f"{value} – {SCORE_MEANING[value]}"
    return str(value)


def _blank_as_none(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


# ---------------------------------------------------------------- the register entry


@dataclass(frozen=True)
class EntryLine:
    """One column of the partnership's register row: its heading, its value, and the type that says how it is shown."""

    heading: str
    value: Cell
    kind: str


def register_entry(record: Record, spec: Spec, config: Config, as_of: dt.date,
                   headings: Iterable[str] | None = None) -> tuple[EntryLine, ...]:
    """The partnership's row of the register as the register shows it: the reader's columns up to the source file, less
    the scores (shown on their own sheet), or just the columns ``headings`` names (in the register's order)."""
    columns = register_columns(spec, config)
    upto = next(i for i, c in enumerate(columns) if c.heading == SOURCE_COLUMN) + 1
    scores = {score_table(spec).row_label(k) for k in score_table(spec).row_keys()}
    wanted = set(headings) if headings is not None else None
    known = facts(record, spec, config, as_of)
    return tuple(EntryLine(c.heading, _cell(c.value(record, known)), c.kind) for c in columns[:upto]
                 if (c.heading in wanted if wanted is not None else c.heading not in scores))


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, (str, int, float, dt.date)):
        return value
    return str(value)


def heading(need: contract.Needed, spec: Spec) -> str:
    """The register's heading of a field the code relies on (its ``register:`` heading, else its label)."""
    item = spec.form(need.form).item(need.id)
    assert isinstance(item, Field)
    return item.register or item.label


# ---------------------------------------------------------------- the ledger: its returns, cycle by cycle, as decided


@dataclass(frozen=True)
class Received:
    """One return in the ledger, as its cycle's lifecycle and the MIO's decisions leave it."""

    entry: Entry
    issued_for: str  # the partnership the workbook was issued for (the MIO may accept it as another)
    outcome: Outcome  # accepted, superseded, with errors, held, or rejected by the MIO
    shown: bool  # the accepted return that stood for its partnership that cycle


def cycle_returns(ledger: Ledger, cycle: str, decided: Decided) -> list[Received]:
    """Every return of ``cycle`` as consolidate settles it: a file named for another partnership held, the MIO's
    decisions on held (and rejected) files applied, then superseded by newer returns (partxl.returns.lifecycle)."""
    entries = ledger.returns(cycle)
    issued = {e.sha256: e.partnership for e in entries}
    for entry in entries:
        if misnamed(entry.last_path, entry.partnership) is not None:
            entry.outcome = Outcome.HELD
    chosen = {d.key for d in decided.decisions if d.kind == Kind.HELD and d.choice == Choice.ACCEPT}
    entries, together = arrange(entries, lambda e: e.partnership.casefold(), chosen)  # arrived together: held, as consolidate
    for entry in entries:
        if entry.sha256 in together:
            entry.outcome = Outcome.HELD
        decision = decided.of(Kind.HELD, entry.sha256) if entry.outcome == Outcome.HELD else \
            decided.of(Kind.FILE, entry.sha256) or decided.of(Kind.HELD, entry.sha256)
        if decision is not None:
            accepted = decision.choice != Choice.REJECT
            entry.partnership = (decision.value or entry.partnership) if accepted else entry.partnership
            entry.outcome = (Outcome.ERRORS if entry.errors else Outcome.ACCEPTED) if accepted else Outcome.REJECTED
    settled, superseded = settle(entries, lambda e: e.partnership.casefold(), together)
    shown = {s.shown.sha256 for s in settled.values() if s.shown is not None}
    return [Received(e, issued[e.sha256], Outcome.SUPERSEDED if e.sha256 in superseded and e.outcome in RETURNS
                     else Outcome(e.outcome), e.sha256 in shown) for e in entries]


def newest_accepted(received: Iterable[Received]) -> dict[str, Received]:
    """Each partnership's newest accepted return among ``received`` (every cycle's returns, oldest cycle first), by its
    ID in lower case: the answers its register row was built from, or last built from."""
    return {r.entry.partnership.casefold(): r for r in received if r.shown}


def answers_of(record: Record, newest: Received | None) -> dict[str, Any]:
    """Every answer of the partnership, as consolidate builds its register row: the register's, with each form its newest
    accepted return carried replaced by that return's answers. (A register read back keeps only the answers with a
    register column and the tables: the ledger keeps them all.)"""
    if newest is None:
        return dict(record.values)
    carried = {item.split("@")[0] for item in newest.entry.metadata.get("forms", "").split(",") if item}
    return {**{k: v for k, v in record.values.items() if k.split("_")[0] not in carried}, **newest.entry.answers}


def every_return(ledger: Ledger) -> dict[str, list[Received]]:
    """Every cycle's returns as consolidate settles them, oldest cycle first."""
    decided = in_force(ledger)
    return {cycle: cycle_returns(ledger, cycle, decided) for cycle in ledger.cycles()}


def open_ledger(path: Path, key: str = "") -> Ledger:
    """The ledger at ``path``, copied to memory to be read (it is never written); a clear error when there is none.
    With the integrity ``key``, a row edited outside partxl is left out, as consolidate leaves it out."""
    if not path.is_file():
        raise PartxlError(f"{path}: no such ledger (partxl consolidate writes ledger.sqlite beside the register; "
                          "give its place with --ledger)")
    return Ledger.snapshot(path, key)


def _decision_log(ledger: Ledger) -> list[Decision]:
    """Every decision the MIO made or revoked, in order (the ledger's log for audit)."""
    return [Decision(Kind(r[0]), r[1], Choice(r[2]), *r[3:]) for r in ledger.decisions(log=True)]


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class ScoreHistory:
    """The assessment scores of every cycle with an accepted return, oldest first."""

    cycles: tuple[str, ...]
    sources: tuple[str, ...]  # the accepted return each cycle's scores come from
    features: tuple[str, ...]  # the assessment's features, by label
    scores: tuple[tuple[int | None, ...], ...]  # per feature, one per cycle (None: not scored)
    means: tuple[float | None, ...]  # one per cycle

    def of(self, cycle: str) -> dict[str, int]:
        """The scores of one cycle, by feature label (unscored features left out)."""
        at = self.cycles.index(cycle)
        return {f: score for f, s in zip(self.features, self.scores, strict=True) if (score := s[at]) is not None}


@dataclass(frozen=True)
class ListedFinding:
    finding: Finding
    waived: Decision | None = None  # the MIO's waiver, when there is one: shown, but no longer counted


@dataclass(frozen=True)
class Event:
    """One line of the partnership's history: a return received, or a decision the MIO took."""

    when: str  # ISO date and time: when a return was saved, when a decision was recorded
    cycle: str
    what: str
    file: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PartnershipModel:
    """Everything the report shows, worked out before any sheet is drawn."""

    id: str
    name: str
    about: About
    answers_from: str  # where the register's answers come from, in words
    entry: tuple[EntryLine, ...]
    scores: ScoreHistory
    findings: tuple[ListedFinding, ...]
    history: tuple[Event, ...]
    forms: tuple[FormAnswers, ...]


def find_record(records: Sequence[Record], partnership_id: str, register: Path,
                in_ledger: Iterable[str] = ()) -> Record:
    """The partnership ``partnership_id`` (in any case) of the register, or an error saying what the register holds."""
    wanted = partnership_id.strip().casefold()
    found = next((r for r in records if r.id.casefold() == wanted), None)
    if found is not None:
        return found
    near = difflib.get_close_matches(partnership_id.strip().upper(), [r.id.upper() for r in records], n=3)
    by_name = [r.id for r in records if wanted and wanted in str(r.get(contract.NAME.cell, "")).casefold()]
    hint = f" Did you mean {' or '.join(dict.fromkeys(by_name[:3] + near))}?" if by_name or near else ""
    known = wanted in {pid.casefold() for pid in in_ledger}
    left_off = " The ledger has returns for it: the register leaves it off (not a partnership under the policy, or a " \
               "proposal under its provisional NEW- ID)." if known else ""
    raise UnknownPartnership(f"{register}: no partnership with the ID {partnership_id!r} on the register "
                             f"({len(records)} partnerships).{hint}{left_off} Use the ID in the register's Partnership ID "
                             "column, or run partxl consolidate first if its return came in since.")


def partnership_model(record: Record, read: RegisterFile, ledger: Ledger, returns: Mapping[str, Sequence[Received]], spec: Spec,
                      config: Config, as_of: dt.date) -> PartnershipModel:
    """The report of ``record``: its register entry, and from the ledger (whose ``returns`` are :func:`every_return`'s)
    its answers, scores over the cycles, findings and history."""
    cycle = read.returns_of or config.cycle
    pid = record.id.casefold()
    returns = {c: [r for r in rs if pid in (r.issued_for.casefold(), r.entry.partnership.casefold())] for c, rs in returns.items()}
    mine = {c: [r for r in rs if r.entry.partnership.casefold() == pid] for c, rs in returns.items()}
    newest = [r for r in mine.get(cycle, []) if r.outcome != Outcome.REJECTED][-1:]
    if record.state == ReturnState.WITH_ERRORS and newest:  # a register read back does not carry the count
        record = replace(record, errors=newest[0].entry.errors)
    accepted = newest_accepted(r for rs in mine.values() for r in rs).get(pid)
    return PartnershipModel(
        id=record.id, name=str(record.get(contract.NAME.cell) or record.id),
        about=About(config.council, cycle, as_of, config.deadline, config.grant_threshold),
        answers_from=answers_from(record, accepted, cycle), entry=register_entry(record, spec, config, as_of),
        scores=_score_history(spec, mine, facts(record, spec, config, as_of).scores, record.current),
        findings=_findings(record, read, ledger, returns.get(cycle, []), in_force(ledger), config),
        history=_history(record.id, returns, _decision_log(ledger), {r.code: r.title for f in spec.forms.values() for r in f.rules}),
        forms=tuple(form_answers(form, answers_of(record, accepted)) for form in spec.ordered_forms()))


def answers_from(record: Record, accepted: Received | None, cycle: str) -> str:
    """Where the answers shown come from, in words."""
    if accepted is None:
        return "The ledger holds no accepted return of it: the answers are the register's."
    entry = accepted.entry
    saved = f", saved {dt.datetime.fromisoformat(entry.saved_at):%d %B %Y}" if entry.saved_at else ""
    if entry.cycle == cycle and record.current:
        return f"The answers are those of its newest accepted return this cycle, {entry.last_path}{saved}."
    return f"No return of it has been accepted this cycle ({record.state}): the answers are those of its newest accepted " \
           f"return, {entry.last_path} ({entry.cycle}{saved})."


def _score_history(spec: Spec, returns: Mapping[str, Sequence[Received]], on_register: Mapping[str, int],
                   current: bool) -> ScoreHistory:
    """The scores of each cycle's accepted return; then the register's, when they are none of those (answers from
    before the ledger began, carried on the register while no return is accepted)."""
    table = score_table(spec)
    keys = table.row_keys()
    cycles, sources, columns = [], [], []
    for cycle, received in returns.items():
        shown = next((r for r in received if r.shown), None)
        if shown is None:
            continue
        scores = [shown.entry.answers.get(contract.SCORES.column(k, "score")) for k in keys]
        cycles.append(cycle)
        sources.append(shown.entry.last_path)
        columns.append(tuple(s if isinstance(s, int) else None for s in scores))
    register = tuple(on_register.get(k) for k in keys)
    if any(s is not None for s in register) and not current and register not in columns:
        cycles.append(ON_REGISTER)
        sources.append("the register, last year's answers")
        columns.append(register)
    means = tuple(round(sum(given) / len(given), 2) if (given := [s for s in column if s is not None]) else None
                  for column in columns)
    rows = tuple(tuple(column[i] for column in columns) for i in range(len(keys)))
    return ScoreHistory(tuple(cycles), tuple(sources), tuple(table.row_label(k) for k in keys), rows, means)


def _findings(record: Record, read: RegisterFile, ledger: Ledger, received: Sequence[Received], decided: Decided,
              config: Config) -> tuple[ListedFinding, ...]:
    """The findings that still stand this cycle: its returns' (all but those superseded, or moved to another partnership
    by the MIO), the register's about it, and a reminder when nothing came back; a waived one marked, not dropped."""
    found: list[Finding] = [f for f in read.findings if f.partnership.casefold() == record.id.casefold()]
    for r in received:
        if r.outcome in (Outcome.SUPERSEDED, Outcome.REJECTED) or r.entry.partnership.casefold() != record.id.casefold():
            continue
        stored = ledger.get(r.entry.sha256, r.entry.suffix)
        found += [f.but(file=r.entry.last_path) for f in (stored.findings if stored else [])]
    if not record.returned and stage(record) not in OWES_NOTHING:
        found.append(Code.NOT_RETURNED.at(partnership=record.id, deadline=f"{config.deadline:%d %B %Y}"))
    return tuple(ListedFinding(f, decided.waived(f.partnership, f.code) if f.severity == WARNING else None) for f in found)


def _history(pid: str, returns: Mapping[str, Sequence[Received]], log: Sequence[Decision],
             titles: Mapping[str, str]) -> tuple[Event, ...]:
    """Every return received for it (and what became of it) and every decision the MIO took on it, cycle by cycle: the
    cycle's returns in the order they were saved, then the decisions taken in it, in the order recorded. (The time a
    file was first seen says little: a folder's files are all first seen by the same run.) A waived finding is named
    by its rule's title (``titles``: code -> title)."""
    cycles = list(returns)
    events = [(0, _received(pid, r)) for rs in returns.values() for r in rs]
    files = {r.entry.sha256: r.entry.last_path for received in returns.values() for r in received}
    events += [(1, _decided(d, files, titles)) for d in log if _concerns(d, pid, files)]
    ordered = sorted(events, key=lambda e: (cycles.index(e[1].cycle) if e[1].cycle in cycles else len(cycles), e[0], e[1].when))
    return tuple(event for _, event in ordered)


def _received(pid: str, r: Received) -> Event:
    notes = [f"received {dt.datetime.fromisoformat(r.entry.first_seen):%d/%m/%Y %H:%M}"]
    if r.entry.errors:
        notes.append(f"{r.entry.errors} error(s)")
    if r.shown:
        notes.append("the accepted answers of its cycle")
    if r.entry.partnership.casefold() != pid.casefold():
        notes.append(f"accepted by the MIO as {r.entry.partnership}'s return")
    elif r.issued_for.casefold() != pid.casefold():
        notes.append(f"issued for {r.issued_for}, accepted by the MIO as this partnership's")
    return Event(r.entry.saved_at or r.entry.first_seen, r.entry.cycle, f"Return: {r.outcome.text}", r.entry.last_path,
                 "; ".join(notes))


def _concerns(decision: Decision, pid: str, files: Mapping[str, str]) -> bool:
    if decision.kind in (Kind.HELD, Kind.FILE):
        return decision.key in files
    if decision.kind == Kind.FINDING:
        return decision.key.split("|")[0].casefold() == pid.casefold()
    return decision.value.casefold() == pid.casefold()  # a proposal agreed with this ID


_DECISION_WHAT = {Kind.HELD: "a held return", Kind.FILE: "a return", Kind.PROPOSAL: "its proposal", Kind.FINDING: "a finding"}


def _decided(decision: Decision, files: Mapping[str, str], titles: Mapping[str, str]) -> Event:
    code = decision.key.partition("|")[2] if decision.kind == Kind.FINDING else ""
    subject = titles.get(code) or code
    detail = "; ".join(x for x in (subject, f"as {decision.value}" if decision.value else "",
                                   f"SMT agreed {decision.day}" if decision.day else "", decision.reason,
                                   f"recorded by {decision.who}") if x)
    return Event(decision.recorded, decision.cycle, f"MIO's decision on {_DECISION_WHAT[decision.kind]}: {decision.choice}",
                 files.get(decision.key, ""), detail)


# ---------------------------------------------------------------- drawing: what the two reports share


def report_pen(book: Any, about: About) -> Pen:
    """The committee summary's formats, and those the reports add: dates, numbers with decimals, form titles."""
    pen = pen_for(book, about)
    add = book.add_format
    mine = {"date": add({**FONT, "num_format": "dd/mm/yyyy", "align": "left"}),
            "decimal": add({**FONT, "num_format": "0.00", "align": "left"}),
            "form": add({**FONT, "bold": True, "font_size": 12, "font_color": NAVY}),
            "question": add({**FONT, "text_wrap": True, "bold": True}),
            "change": add({**FONT, "num_format": "+0;-0;0", "align": "center"})}
    pen.formats["money"].set_align("left")
    pen.formats["number"].set_align("left")
    return Pen(book, {**pen.formats, **mine}, pen.scores, about)


def start_sheet(pen: Pen, name: str, title: str, subtitle: str, widths: Sequence[float], *, landscape: bool = True) -> Worksheet:
    """A sheet with its title lines, column widths, print setup (A4, fitted to its width), header and footer."""
    sheet = pen.book.add_worksheet(name)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, title, pen.formats["title"])
    sheet.write_string(1, 0, subtitle, pen.formats["subtitle"])
    sheet.set_row(0, 24)
    print_setup(sheet, landscape=landscape, widths=widths)
    sheet.set_header(header_text(left=pen.about.council, centre=title, right=pen.about.cycle))
    sheet.set_footer(header_text(left=f"As at {pen.about.as_of:%d %B %Y}", right=PAGE_OF))
    sheet.hide_gridlines(2)
    return sheet


def entry_table(pen: Pen, sheet: Worksheet, top: int, name: str, lines: Sequence[EntryLine], widths: Sequence[float],
                headings: tuple[str, str]) -> int:
    """The register entry as a two-column table (heading, value) from ``top``, each value in its type's format;
    returns the row after it."""
    def write(target: Worksheet, row: int, col: int, value: Any, fmt: Any) -> None:
        write_value(target, row, col, value.value if isinstance(value, EntryLine) else value, fmt)

    def style(_col: int, value: Any) -> Any:
        return pen.formats[_FORMAT_OF.get(value.kind, "wrap") if isinstance(value, EntryLine) else "question"]

    def height(row: Sequence[Any]) -> float:
        line: EntryLine = row[1]
        return wrapped_height([(line.heading, widths[0] * BOLD), (shown(line.kind, line.value or ""), widths[1])], line=LINE)

    return write_table(sheet, top, name, [Column(h) for h in headings], [(line.heading, line) for line in lines],
                       len(lines), header_format=pen.formats["head"], style=style, write=write, height=height)


def note(pen: Pen, sheet: Worksheet, row: int, text: str, widths: Sequence[float]) -> int:
    """A note above a table, a line a row, run on across the sheet's columns (never merged) and wrapped within them (text
    running past the last column would be cut off on paper); returns the next row."""
    for line in textwrap.wrap(text, int(sum(widths) * 1.15)):  # 9-point italic: narrower than the columns' 10-point digits
        across(sheet, row, 0, len(widths) - 1, line, pen.formats["note"])
        row += 1
    return row


def answers_sheet(pen: Pen, sheet: Worksheet, top: int, forms: Sequence[FormAnswers], widths: Sequence[float],
                  *, form_titles: bool = True) -> int:
    """Each form's questions and answers from ``top``: the form's title, a bar per section, then a row per question
    (a long answer runs on over as many rows as it needs). Returns the row after the last."""
    f = pen.formats
    sheet.write_string(top, 0, "Question", f["head"])
    sheet.write_string(top, 1, "Answer", f["head"])
    sheet.repeat_rows(top)
    row = top + 1
    for form in forms:
        if form_titles:
            row += 1
            sheet.write_string(row, 0, f"{form.title} ({form.source})" if form.source else form.title, f["form"])
            sheet.set_row(row, 20)
            row += 1
        if not form.answered:
            sheet.write_string(row, 0, "Not answered.", f["note"])
            row += 1
            continue
        for section in form.sections:
            across(sheet, row, 0, 1, section.title, f["section"])
            row += 1
            for answer in section.answers:
                row = _answer_rows(pen, sheet, row, answer, widths)
    return row


def _answer_rows(pen: Pen, sheet: Worksheet, row: int, answer: Answer, widths: Sequence[float]) -> int:
    f = pen.formats
    value = answer.value
    if not isinstance(value, str):
        sheet.write_string(row, 0, answer.question, f["question"])
        if value is None:
            sheet.write_string(row, 1, NOT_ANSWERED, f["note"])
        else:
            write_value(sheet, row, 1, value, f[_FORMAT_OF.get(answer.kind, "wrap")])
        sheet.set_row(row, wrapped_height([(answer.question, widths[0] * BOLD)], line=LINE))
        return row + 1
    for i, piece in enumerate(pieces(value, widths[1])):
        question = answer.question if i == 0 else f"{answer.question} (continued)"
        sheet.write_string(row, 0, question, f["question"])
        sheet.write_string(row, 1, piece, f["wrap"])
        sheet.set_row(row, wrapped_height([(question, widths[0] * BOLD), (piece, widths[1])], line=LINE))
        row += 1
    return row


def pieces(text: str, width: float, most: int = MOST_LINES) -> list[str]:
    """``text`` cut at whole lines into parts of at most ``most`` wrapped lines of a column ``width`` wide: a row is at
    most 409 points high in Excel and LibreOffice, and an answer taller than that would be cut off on paper."""
    per_line = max(int(width * 1.2 - 2), 10)  # as xlsx.writer.wrapped_height counts
    lines = [(n, piece) for n, paragraph in enumerate(text.split("\n"))
             for piece in (textwrap.wrap(paragraph, per_line, break_long_words=True) or [""])]
    if len(lines) <= most:
        return [text]
    parts = []
    for start in range(0, len(lines), most):
        chunk = lines[start:start + most]
        joined = chunk[0][1]
        for (before, _), (n, piece) in zip(chunk, chunk[1:], strict=False):
            joined += ("\n" if n != before else " ") + piece
        parts.append(joined)
    return parts


def workbook(title: str, about: About) -> tuple[io.BytesIO, Any]:
    """A workbook in memory with the council's properties (its title is the PDF's title too)."""
    buffer = io.BytesIO()
    book = FastWorkbook(buffer, {**BOOK_OPTIONS, **BOOK_FONT, "in_memory": True})
    book.set_properties({"title": title, "author": about.council, "company": about.council,
                         "created": dt.datetime.combine(about.as_of, dt.time())})
    return buffer, book


# ---------------------------------------------------------------- the partnership report's sheets

_ENTRY_WIDTHS = (34, 62)  # one A4 page wide, portrait
_ANSWER_WIDTHS = (55, 80)
_FINDING_COLUMNS = (("Severity", 10), ("Sheet", 13), ("Cell", 7), ("Question", 26), ("What is wrong", 44),
                    ("What would be right", 34), ("File", 24))
_HISTORY_COLUMNS = (("Saved or decided", 17), ("Cycle", 9), ("What", 40), ("File", 36), ("Detail", 56))


def _subtitle(model: PartnershipModel) -> str:
    about = model.about
    return f"{about.council} · Partnership {model.id} · Partnership Register {about.cycle} · as at {about.as_of:%d %B %Y}"


def overview_sheet(pen: Pen, model: PartnershipModel) -> None:
    """Its register entry, as the register shows it, and what each other sheet holds."""
    sheet = start_sheet(pen, "Overview", f"{model.name}: partnership report", _subtitle(model), _ENTRY_WIDTHS, landscape=False)
    standing = sum(1 for f in model.findings if f.waived is None)
    contents = (f"Its entry on the register, below. Scores: its assessment scores in each cycle the ledger recorded "
                f"({len(model.scores.cycles)} column(s)). Findings: {standing} still to deal with this cycle. History: "
                f"{len(model.history)} event(s): every return received and every decision of the MIO. Answers: every question "
                "of every form.")
    top = note(pen, sheet, note(pen, sheet, 2, model.answers_from, _ENTRY_WIDTHS), contents, _ENTRY_WIDTHS) + 1
    entry_table(pen, sheet, top, "RegisterEntry", model.entry, _ENTRY_WIDTHS, ("Register column", "Entry"))
    sheet.repeat_rows(top)


def scores_sheet(pen: Pen, part: ScoreHistory, model: PartnershipModel) -> None:
    """The scores of every cycle side by side, coloured as the heat map colours them, each cycle's mean below."""
    n = len(part.cycles)
    widths = [44, *([11] * n), *([10] if n > 1 else [])]
    sheet = start_sheet(pen, "Scores", f"{model.name}: assessment scores over the years", _subtitle(model), widths)
    legend = "; ".join(f"{score} {meaning}" for score, meaning in SCORE_MEANING.items())
    top = note(pen, sheet, 2, f"Scores (Partnership Policy, Appendix 3): {legend}. Blank: not scored. Change: the last "
                              "cycle's score less the one before.", widths)
    if not n:
        sheet.write_string(top + 1, 0, "The ledger holds no accepted return for this partnership yet.", pen.formats["text"])
        return
    change = ["Change"] if n > 1 else []
    rows = [[feature, *scores, *([_change(scores)] if n > 1 else [])] for feature, scores in zip(part.features, part.scores, strict=True)]
    after = write_table(sheet, top, "Scores", [Column(h) for h in ["Feature", *part.cycles, *change]], rows, len(rows),
                        header_format=pen.formats["head"], write=write_value,
                        style=lambda col, _v: pen.formats["wrap" if col == 0 else "score" if col <= n else "change"],
                        height=lambda row: wrapped_height([(str(row[0]), widths[0])], line=LINE))
    first, last = top + 1, after - 1  # the table's data rows
    sheet.write_string(after, 0, "Mean", pen.formats["total"])
    for i, mean in enumerate(part.means, start=1):
        span = f"{xl_rowcol_to_cell(first, i)}:{xl_rowcol_to_cell(last, i)}"
        sheet.write_formula(after, i, f'=IF(COUNT({span})=0,"",AVERAGE({span}))', pen.formats["mean_total"],
                            mean if mean is not None else "")
    for score, fmt in pen.scores.items():
        sheet.conditional_format(first, 1, last, n, {"type": "cell", "criteria": "==", "value": score, "format": fmt})
    sources = "; ".join(f"{c}: {s}" for c, s in zip(part.cycles, part.sources, strict=True))
    note(pen, sheet, after + 2, f"From the accepted return of each cycle ({sources}).", widths)
    sheet.repeat_rows(top)


def _change(scores: Sequence[int | None]) -> int | None:
    """The last score less the one before it (None unless both cycles scored the feature)."""
    last, before = scores[-1], scores[-2]
    return last - before if last is not None and before is not None else None


def _listing_sheet(pen: Pen, model: PartnershipModel, name: str, title: str, columns: Sequence[tuple[str, int]],
                   rows: Sequence[Sequence[str]], empty: str) -> None:
    """A sheet of one table of text (filtered, its heading row on every page), or the sentence ``empty`` when it has none."""
    widths = [w for _, w in columns]
    sheet = start_sheet(pen, name, f"{model.name}: {title}", _subtitle(model), widths)
    if not rows:
        sheet.write_string(3, 0, empty, pen.formats["text"])
        return
    write_table(sheet, 3, name, [Column(h) for h, _ in columns], rows, len(rows), header_format=pen.formats["head"],
                style=lambda _c, _v: pen.formats["wrap"], write=write_value,
                height=lambda row: wrapped_height(((str(v), w) for v, w in zip(row, widths, strict=True)), line=LINE))
    sheet.repeat_rows(3)


def findings_sheet(pen: Pen, model: PartnershipModel) -> None:
    """The findings on its returns this cycle, as the validation report words them; a waived one with the MIO's reason."""
    _listing_sheet(pen, model, "Findings", "findings this cycle", _FINDING_COLUMNS, [_finding_row(f) for f in model.findings],
                   "No findings: nothing to correct or look at on its returns this cycle.")


def _finding_row(listed: ListedFinding) -> list[str]:
    f, waived = listed.finding, listed.waived
    severity = f"{f.severity}, waived" if waived else str(f.severity)
    hint = f"Waived by {waived.who} ({waived.recorded[:10]}): {waived.reason}" if waived else f.hint
    return [severity, f.sheet, f.cell, f.field, f.message, hint, f.file]


def history_sheet(pen: Pen, model: PartnershipModel) -> None:
    """Every return received and every decision taken, in the order the ledger recorded them."""
    _listing_sheet(pen, model, "History", "history from the ledger", _HISTORY_COLUMNS,
                   [[e.when.replace("T", " ")[:16], e.cycle, e.what, e.file, e.detail] for e in model.history],
                   "The ledger holds no return for this partnership.")


def partnership_bytes(model: PartnershipModel, language: str) -> bytes:
    """The report workbook: Overview, Scores, Findings, History, Answers."""
    buffer, book = workbook(f"{model.name}: partnership report", model.about)
    pen = report_pen(book, model.about)
    overview_sheet(pen, model)
    scores_sheet(pen, model.scores, model)
    findings_sheet(pen, model)
    history_sheet(pen, model)
    answers = start_sheet(pen, "Answers", f"{model.name}: answers", _subtitle(model), _ANSWER_WIDTHS)
    answers_sheet(pen, answers, note(pen, answers, 2, model.answers_from, _ANSWER_WIDTHS), model.forms, _ANSWER_WIDTHS)
    book.close()
    return with_language(buffer.getvalue(), language)


# ---------------------------------------------------------------- from the register and the ledger


@dataclass
class PartnershipResult:
    """One partnership's report: where it was written, and what it found."""

    id: str
    name: str
    path: Path
    outcome: str  # written / unchanged / superseded
    model: PartnershipModel
    pdf: Path | None = None
    findings: list[Finding] = field(default_factory=list)  # its findings still standing this cycle (waived ones left out)

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        scores = self.model.scores
        return {"id": self.id, "name": self.name, "path": str(self.path), "outcome": self.outcome,
                "pdf": str(self.pdf) if self.pdf else None,
                "scores": {c: scores.of(c) for c in scores.cycles},
                "means": dict(zip(scores.cycles, scores.means, strict=True)),
                "history": [e.as_dict() for e in self.model.history],
                "waived": [f.finding.as_dict() for f in self.model.findings if f.waived],
                "findings": [f.as_dict() for f in self.findings]}


def default_report_path(partnership_id: str) -> Path:
    return Path("out") / "partnerships" / f"{safe_filename(partnership_id.strip().upper())}.xlsx"


def write_partnership(partnership_id: str, register: Path, ledger_path: Path, out_file: Path | None, spec: Spec, config: Config,
                      as_of: dt.date, *, pdf: bool = False) -> PartnershipResult:
    """The report of one partnership of ``register``, its history from the ledger at ``ledger_path``."""
    read = read_register(register, spec, config)
    with open_ledger(ledger_path, config.signing_key()) as ledger:
        returns = every_return(ledger)
        record = find_record(read.records, partnership_id, register, (r.entry.partnership for rs in returns.values() for r in rs))
        model = partnership_model(record, read, ledger, returns, spec, config, as_of)
    out_file = out_file or default_report_path(record.id)
    outcome = replace_keeping_copy(out_file, partnership_bytes(model, config.language))
    printed = to_pdf(out_file, out_file.with_suffix(".pdf"), language=config.language) if pdf else None
    standing = [f.finding for f in model.findings if f.waived is None]
    return PartnershipResult(record.id, model.name, out_file, outcome, model, printed, standing)
