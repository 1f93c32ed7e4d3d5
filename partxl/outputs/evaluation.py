"""Evaluation reports: a partnership's evaluation (Partnership Policy, Appendix 4) as a document for SMT and the intranet.

The policy: "On cessation of the partnership, an evaluation highlighting the lessons learnt and main
outcomes achieved should be undertaken … A copy of the evaluation report will be circulated to SMT and
made available on the intranet." The officer's answers on the Evaluation sheet are that evaluation; this
module prints them, one workbook (and, with ``pdf``, one tagged PDF) per partnership of the register whose
newest accepted return (in the ledger, which keeps every answer: a register keeps only some) answers the
evaluation.

What is shown comes from the form definition (its sections, labels and order), the return's answers and the
register, so a question added to ``evaluation.yaml`` appears in the report without a change here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.files import replace_keeping_copy, safe_filename
from partxl.findings import Finding, errors
from partxl.forms import contract
from partxl.forms.definitions import Form, Spec
from partxl.outputs.partnership import (
    EntryLine,
    FormAnswers,
    Received,
    answers_of,
    answers_sheet,
    entry_table,
    every_return,
    form_answers,
    heading,
    newest_accepted,
    note,
    open_ledger,
    register_entry,
    report_pen,
    start_sheet,
    workbook,
)
from partxl.outputs.pdf import to_pdf
from partxl.outputs.summary import About
from partxl.register.model import ID_COLUMN, STATUS_COLUMN, Record, sort_key
from partxl.register.read import read_register
from partxl.xlsx.sheets import with_language

WIDTHS = (38, 62)  # question, answer: one A4 page wide, portrait
_ABOUT = (contract.NAME, contract.CATEGORY, contract.LEAD_OFFICER, contract.ACCOUNTABLE_BODY, contract.DATE_FORMED,
          contract.END_DATE)


def evaluation_form(spec: Spec) -> Form:
    """The evaluation checklist, whatever questions the council's copy of it asks."""
    return spec.form(contract.EVALUATION_REASON.form)


def evaluated(answers: dict[str, Any], form: Form) -> bool:
    """Whether a return's ``answers`` include an evaluation: any answer of the evaluation form beyond its reason (a
    reason alone, carried over from when the partnership ended, is an evaluation still to come)."""
    prefix = f"{form.id}_"  # a form id has no underscore, so this is exactly that form's cell names
    return any(name.startswith(prefix) and name != contract.EVALUATION_REASON.cell and _given(value)
               for name, value in answers.items())


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class EvaluationModel:
    """One partnership's evaluation report, worked out before it is drawn."""

    id: str
    name: str
    about: About
    reason: str
    entry: tuple[EntryLine, ...]  # the partnership, as the register shows it
    answers: FormAnswers


def evaluation_model(record: Record, returned: Received, spec: Spec, config: Config, about: About) -> EvaluationModel:
    """The evaluation ``returned`` (the partnership's newest accepted return) answers, with the partnership's entry."""
    headings = [ID_COLUMN, *(heading(need, spec) for need in _ABOUT), STATUS_COLUMN]
    entry = [line for line in register_entry(record, spec, config, about.as_of, headings) if _given(line.value)]
    saved = f", saved {dt.datetime.fromisoformat(returned.entry.saved_at):%d/%m/%Y}" if returned.entry.saved_at else ""
    entry.append(EntryLine("Evaluation returned in", f"{returned.entry.last_path} ({returned.entry.cycle} cycle{saved})", "text"))
    values = answers_of(record, returned)
    return EvaluationModel(record.id, str(values.get(contract.NAME.cell) or record.id), about,
                           str(values.get(contract.EVALUATION_REASON.cell) or ""), tuple(entry),
                           form_answers(evaluation_form(spec), values))


def evaluation_bytes(model: EvaluationModel, language: str) -> bytes:
    """The evaluation report: the partnership, then the form's questions and answers, section by section."""
    title = f"Evaluation of {model.name}"
    buffer, book = workbook(title, model.about)
    pen = report_pen(book, model.about)
    form = model.answers
    subtitle = f"{model.about.council} · Partnership {model.id} · {form.title}" + (f" ({form.source})" if form.source else "")
    sheet = start_sheet(pen, "Evaluation", title, subtitle, WIDTHS, landscape=False)
    said = (f"Reason for the evaluation: {model.reason}. " if model.reason else "") + \
        "The Responsible Officer's answers, as returned."
    top = entry_table(pen, sheet, note(pen, sheet, 2, said, WIDTHS), "Partnership", model.entry, WIDTHS,
                      ("The partnership", "As the register records it"))
    answers_sheet(pen, sheet, top + 1, [form], WIDTHS, form_titles=False)
    book.close()
    return with_language(buffer.getvalue(), language)


@dataclass(frozen=True)
class EvaluationReport:
    """One report written: whose, where, and whether it changed."""

    id: str
    name: str
    path: Path
    outcome: str  # written / unchanged / superseded
    pdf: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "path": str(self.path), "outcome": self.outcome,
                "pdf": str(self.pdf) if self.pdf else None}


@dataclass
class EvaluationsResult:
    """Every evaluation report written from a register, and what reading the register found."""

    folder: Path
    reports: list[EvaluationReport]
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "reports": [r.to_dict() for r in self.reports],
                "findings": [f.as_dict() for f in self.findings]}


def report_name(model: EvaluationModel) -> str:
    """``P024 Wexbridge Digital Inclusion Partnership evaluation.xlsx``: safe everywhere, and unique by its ID."""
    return safe_filename(f"{model.id} {model.name} evaluation", max_length=120) + ".xlsx"


def write_evaluations(register: Path, ledger_path: Path, out_dir: Path, spec: Spec, config: Config, as_of: dt.date, *,
                      pdf: bool = False) -> EvaluationsResult:
    """An evaluation report for each partnership of ``register`` whose newest accepted return in the ledger at
    ``ledger_path`` answers the evaluation, in the register's order."""
    read = read_register(register, spec, config)
    with open_ledger(ledger_path, config.signing_key()) as ledger:
        newest = newest_accepted(r for received in every_return(ledger).values() for r in received)
    about = About(config.council, read.returns_of or config.cycle, as_of, config.deadline, config.grant_threshold)
    form = evaluation_form(spec)
    chosen = [(record, returned) for record in sorted(read.records, key=sort_key)
              if (returned := newest.get(record.id.casefold())) is not None and evaluated(returned.entry.answers, form)]
    reports = []
    for record, returned in chosen:
        model = evaluation_model(record, returned, spec, config, about)
        path = out_dir / report_name(model)
        outcome = replace_keeping_copy(path, evaluation_bytes(model, config.language))
        printed = to_pdf(path, path.with_suffix(".pdf"), language=config.language) if pdf else None
        reports.append(EvaluationReport(model.id, model.name, path, outcome, printed))
    return EvaluationsResult(out_dir, reports, read.findings)
