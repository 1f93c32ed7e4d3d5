"""Write the three workbooks of a consolidation side by side: the register, the validation report, the summary.

Nothing is replaced until all three are built, and nothing is rebuilt when the inputs are the
same as last time (the ledger keeps a digest of them and of the files written): a re-run on an
unchanged folder leaves the outputs, and their times, as they were.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.files import replace_keeping_copy
from partxl.register.model import Record
from partxl.returns.ledger import Ledger, sha256_of
from partxl.returns.results import ConsolidateResult, Outcome
from partxl.workers import Workers

OUTPUT_NAMES = ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx", "decisions.xlsx")
WRITERS = ("partxl.outputs.register", "partxl.outputs.summary")  # what the workers build with: imported as they start


def write_outputs(result: ConsolidateResult, config: Config, out_dir: Path, ledger_path: Path, workers: Workers) -> None:
    """Build the three workbooks side by side, then replace the old ones (unless nothing changed)."""
    as_of = result.as_of
    with Ledger(ledger_path) as ledger:
        last = ledger.state("outputs") or {}
        if last.get("inputs") == result.inputs_digest and all(
                (out_dir / name).is_file() and sha256_of(out_dir / name)[0] == last.get(name) for name in OUTPUT_NAMES):
            result.outputs = {out_dir / name: "unchanged" for name in OUTPUT_NAMES}  # same inputs: the same bytes again
            return
        from partxl.outputs.decisions import decisions_bytes  # here: a re-run that changes nothing never needs them
        from partxl.outputs.report import report_bytes
        register = workers.submit(_register_job, result.records)
        committee = workers.submit(_summary_job, result.records, result.previous, result.count(Outcome.REJECTED),
                                   result.waived_pairs)  # worked out there too: its model is bigger than its records
        # The report is made here (it needs every finding, costly to send) once the summary is done: the register takes
        # about as long as the other two together, and a third job at once would slow it on two cores.
        summary = committee.result()
        report = report_bytes(result, config, as_of)
        decisions = decisions_bytes(result, config, as_of)
        contents = {out_dir / name: data for name, data in zip(OUTPUT_NAMES, (register.result(), report, summary,
                                                                              decisions), strict=True)}
        out_dir.mkdir(parents=True, exist_ok=True)  # all built before any is written
        for path, data in contents.items():
            result.outputs[path] = replace_keeping_copy(path, data)
        ledger.set_state("outputs", {"inputs": result.inputs_digest,
                                     **{p.name: hashlib.sha256(d).hexdigest() for p, d in contents.items()}})


def _register_job(shared: dict[str, Any], records: list[Record]) -> bytes:
    from partxl.outputs.register import register_bytes

    return register_bytes(records, shared["spec"], shared["config"], shared["as_of"], returns_of=shared["config"].cycle)


def _summary_job(shared: dict[str, Any], records: list[Record], previous: list[Record], rejected: int,
                 waived: frozenset[tuple[str, str]]) -> bytes:
    from partxl.outputs.summary import ReturnCounts, build_summary, summary_bytes

    return summary_bytes(build_summary(records, shared["spec"], shared["config"], shared["as_of"], previous=previous,
                                       counts=ReturnCounts(rejected=rejected), waived=waived))
