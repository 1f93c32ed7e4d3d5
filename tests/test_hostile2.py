"""One file must never stop the run: the corpus of tests/hostile2.py through `partxl consolidate`.

Each file of the corpus once ended a run (exit 2, no register, no report) or stalled it. Consolidated
together with a good return, in a separate process with a memory ceiling, as the MIO runs it: every
file gets its outcome and its finding, the good return is accepted, the register and the report are
written, and no traceback reaches the screen. Once with one worker process (a handful of returns) and
once with several; and the worker processes themselves: a job that kills its process, raises or hangs
costs only itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from partxl.returns.validate import check_file
from partxl.workers import PARALLEL_FROM, Failure, Workers

from . import finding_cases as fc
from . import hostile2, returns
from .conftest import SAMPLE_REGISTER
from .peak import run_measured

AS_OF = "2027-04-19"


@pytest.fixture(scope="module")
def good(generated: Path, tmp_path_factory) -> tuple[Path, Path]:
    one, two = returns.good_returns(generated, tmp_path_factory.mktemp("good2"), "P001", "P019")
    return one, two


@pytest.fixture(scope="module")
def corpus(good: tuple[Path, Path], tmp_path_factory) -> tuple[Path, list[hostile2.Case]]:
    folder = tmp_path_factory.mktemp("corpus2") / "returns"
    cases = hostile2.build(folder, good[0])
    shutil.copyfile(good[0], folder / "P001 good.xlsx")
    fc.one_by_one(folder)  # each file on its own: returns that arrive together would be held, which is not this corpus's point
    return folder, cases


def _consolidate(folder: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """consolidate in its own process, as the MIO runs it, with a memory ceiling and a time limit; and its peak MiB."""
    return run_measured([sys.executable, "-m", "partxl", "consolidate", str(folder), "--out", str(out), "--previous",
                         str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json"], out.parent / f"{out.name}-peak.json",
                        memory=4 << 30, timeout=300)


@pytest.fixture(scope="module", params=["one worker", "several workers"])
def outcome(request, corpus, good, tmp_path_factory) -> dict:
    folder, _ = corpus
    if request.param == "several workers":  # enough returns for a worker per core: the corpus again, and more returns
        folder = tmp_path_factory.mktemp("corpus2-many") / "returns"
        hostile2.build(folder, good[0])
        shutil.copyfile(good[0], folder / "P001 good.xlsx")
        for n in range(PARALLEL_FROM):
            shutil.copyfile(good[1], folder / f"P019 return, copy {n}.xlsx")
        fc.one_by_one(folder)
    out = tmp_path_factory.mktemp("corpus2-out")
    done, peak = _consolidate(folder, out)
    assert done.returncode == 1, done.stderr  # some returns have errors, the report is written
    assert "Traceback" not in done.stderr, done.stderr
    return {"report": json.loads(done.stdout), "out": out, "stderr": done.stderr, "peak_mib": peak}


def _by_file(outcome: dict) -> tuple[dict[str, dict], dict[str, set[str]]]:
    files = {f["path"]: f for f in outcome["report"]["files"]}
    findings: dict[str, set[str]] = {}
    for f in outcome["report"]["findings"]:
        findings.setdefault(f["file"], set()).add(f["code"])
    return files, findings


def test_the_good_return_is_accepted(outcome):
    files, findings = _by_file(outcome)
    assert files["P001 good.xlsx"]["outcome"] in hostile2.RETURN_OUTCOMES, findings.get("P001 good.xlsx")


def test_every_file_gets_its_expected_outcome_and_finding(corpus, outcome):
    """A refused file gets its outcome and finding; a changed return that must still be read is read as the good
    one is: its outcome (or superseded, by a newer one of the same partnership) and no finding the good one has not."""
    folder, cases = corpus
    files, findings = _by_file(outcome)
    good_errors = any(f["severity"] == "error" for f in outcome["report"]["findings"] if f["file"] == "P001 good.xlsx")
    as_good = {"errors" if good_errors else "accepted", "superseded"}
    for case in cases:
        got, codes = files[case.name]["outcome"], findings.get(case.name, set())
        if case.outcome == "accepted":
            assert got in as_good, (case.name, got, codes)
            assert codes - {"SAME_FILE_TWICE"} <= findings.get("P001 good.xlsx", set()), (case.name, codes)
            continue
        assert got == case.outcome, (case.name, got, codes)
        assert case.codes <= codes, (case.name, codes)


def test_the_run_completes_and_writes_its_outputs(outcome):
    for name in ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx", "ledger.sqlite"):
        assert (outcome["out"] / name).is_file(), name
    assert {Path(p).name for p in outcome["report"]["outputs"]} >= {"register.xlsx", "validation_report.xlsx"}


def test_each_refusal_names_the_file_and_says_what_to_do(outcome):
    """The findings that stand for a file the run could not read name it, say why and what the MIO can do."""
    new = [f for f in outcome["report"]["findings"] if f["code"] in ("FILE_SHEET_TOO_LARGE", "FILE_CRASHED")]
    assert {f["code"] for f in new} == {"FILE_SHEET_TOO_LARGE", "FILE_CRASHED"}
    for finding in new:
        assert finding["file"] and finding["message"] and finding["hint"], finding
    far = next(f for f in new if f["file"] == "cell at XFD1048576.xlsx")
    assert "XFD1048576" in far["message"] and "5,000 rows" in far["message"], far["message"]
    crashed = next(f for f in new if f["code"] == "FILE_CRASHED")
    assert crashed["file"] == "reader aborts.xls" and "SIGABRT" in crashed["message"], crashed


def test_the_corpus_runs_in_bounded_memory(outcome):
    assert outcome["peak_mib"] < 1024, outcome["peak_mib"]


def test_odd_names_reach_the_ledger_and_the_report(outcome):
    """A name that is not UTF-8 is shown with its odd bytes escaped, in the JSON, the report and the ledger."""
    import sqlite3

    paths = {f["path"] for f in outcome["report"]["files"]}
    assert {"P001 caf\\xe9 return.xlsx", "caf\\xe9 folder/P001 in a folder.xlsx"} <= paths
    with sqlite3.connect(outcome["out"] / "ledger.sqlite") as db:
        seen = {row[0] for row in db.execute("SELECT last_path FROM files")}
    assert "P001 caf\\xe9 return.xlsx" in seen


def test_a_returns_folder_whose_own_name_is_not_utf8_is_consolidated(good: tuple[Path, Path], tmp_path: Path):
    """A folder saved by an old Samba share or a zip made on another system: its name reaches the ledger escaped."""
    import sqlite3

    folder = tmp_path / os.fsdecode(b"returns caf\xe9")
    folder.mkdir()
    shutil.copyfile(good[0], folder / "P001 good.xlsx")
    done, _ = _consolidate(folder, tmp_path / "out")
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    with sqlite3.connect(tmp_path / "out" / "ledger.sqlite") as db:
        folders = [row[0] for row in db.execute("SELECT folder FROM runs")]
    assert folders == [str(tmp_path) + "/returns caf\\xe9"]


def test_xml_scans_are_linear(corpus, spec, config):
    """A comment of 20,000 error cells took the old regular expressions minutes; a parse takes milliseconds,
    and reads the return as the same return without the comment."""
    folder, _ = corpus
    as_of = dt.date.fromisoformat(AS_OF)
    started = time.perf_counter()
    checked = check_file(folder / "comment of error cells.xlsx", spec, config, as_of)
    assert time.perf_counter() - started < 5
    plain = check_file(folder / "P001 good.xlsx", spec, config, as_of)
    assert checked.values == plain.values and [f.message for f in checked.findings] == [f.message for f in plain.findings]


def test_a_far_cell_is_refused_before_it_is_read(corpus, spec, config):
    """In this process (no worker to lose): the file is refused, not read, so the process survives."""
    folder, _ = corpus
    for name in ("cell at XFD1048576.xlsx", "cell at A99999999999.xlsx", "ninety million cells.ods"):
        checked = check_file(folder / name, spec, config, dt.date.fromisoformat(AS_OF))
        assert [f.code for f in checked.findings] == ["FILE_SHEET_TOO_LARGE"], (name, checked.findings)


def test_a_panic_in_the_reader_is_damage(corpus, spec, config):
    folder, _ = corpus
    checked = check_file(folder / "formula too long.xls", spec, config, dt.date.fromisoformat(AS_OF))
    assert [f.code for f in checked.findings] == ["FILE_DAMAGED"] and "Panic" in checked.findings[0].message


# ---------------------------------------------------------------- the worker processes themselves


def _job(shared: dict, n: int, failure: Failure | None = None) -> object:
    """0 aborts its process, 1 is killed, 2 raises, 3 hangs; the rest square their number."""
    if failure is not None:
        return (failure.kind, failure.detail)
    if n == 0:
        os.abort()
    if n == 1:
        os.kill(os.getpid(), 9)
    if n == 2:
        raise ValueError("not a number")
    if n == 3:
        time.sleep(600)
    return n * n


@pytest.mark.parametrize("parallel", [False, True], ids=["one worker", "several workers"])
def test_a_job_that_kills_its_worker_raises_or_hangs_costs_only_itself(parallel: bool):
    jobs = [(n,) for n in range(4, 20)] + [(0,), (1,), (2,), (3,)] + [(n,) for n in range(20, 40)]
    with Workers({}, parallel=parallel) as workers:
        workers.start()
        got = list(workers.isolated_map(_job, iter(jobs), seconds=10))  # room for a replacement worker to start on a busy machine
    by_job = dict(zip((n for (n,) in jobs), got, strict=True))
    assert by_job[0][0] == "crashed" and "SIGABRT" in by_job[0][1]
    assert by_job[1][0] == "crashed" and "SIGKILL" in by_job[1][1]
    assert by_job[2] == ("failed", "ValueError: not a number")
    assert by_job[3][0] == "timed out"
    assert all(by_job[n] == n * n for n in range(4, 40)), by_job


def test_a_worker_killed_from_outside_mid_run_costs_only_its_job(tmp_path: Path):
    """SIGKILL sent to a worker while it works (out of memory, say): its job is reported, the others finish."""
    marker = tmp_path / "pids"
    jobs = [(n, str(marker)) for n in range(30)]
    with Workers({}, parallel=True) as workers:
        workers.start()
        results = workers.isolated_map(_slow_job, iter(jobs), seconds=30)
        first = next(results)
        os.kill(int(marker.read_text().split()[-1]), 9)  # the worker that took the latest job
        rest = list(results)
    got = [first, *rest]
    assert sum(isinstance(r, tuple) and r[0] == "crashed" for r in got) >= 1, got
    assert sum(isinstance(r, int) for r in got) >= len(jobs) - 3, got


def _slow_job(shared: dict, n: int, marker: str, failure: Failure | None = None) -> object:
    if failure is not None:
        return (failure.kind, n)
    with open(marker, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(0.05)
    return n


def test_the_command_s_workers_end_with_it(tmp_path: Path):
    """A worker's process ends when the command does (no process left behind)."""
    script = ("import os, sys; from partxl.workers import Workers\n"
              "w = Workers({}, parallel=False); w.start()\n"
              "print(w.isolated.slots[0].process.pid, flush=True); os._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"worker {pid} outlived its command")


# ---------------------------------------------------------------- the cheap proof that a sheet is plain cannot be fooled


FAR_CELLS = {  # ways of writing a far cell that the cheap proof must not take for plain (the real parse decides)
    "prefixed": b'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1048576">'
                b'<x:c r="XFD1048576" t="inlineStr"><x:is><x:t>far</x:t></x:is></x:c></x:row>',
    "lower case": b'<row r="1048576"><c r="xfd1048576" t="inlineStr"><is><t>far</t></is></c></row>',
    "address last": b'<row r="1048576"><c t="inlineStr" r="XFD1048576"><is><t>far</t></is></c></row>',
    "after a comment": b'<!-- <c r="A1"> --><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>',
    "newline in the tag": b'<row r="1048576"><c\nr="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>',
    "by counting": b'<row r="1048576"><c t="inlineStr"><is><t>far</t></is></c></row>',
    "columns by counting": b"<row>" + b'<c t="n"><v>1</v></c>' * 120 + b"</row>",
}


@pytest.mark.parametrize("how", sorted(FAR_CELLS))
def test_a_far_cell_however_written_is_refused(how: str, good, tmp_path: Path):
    from partxl.returns.read import Rejected, open_return

    path = tmp_path / "far.xlsx"
    hostile2._sheet(lambda data: data.replace(b"</sheetData>", FAR_CELLS[how] + b"</sheetData>", 1))(good[0], path)
    with pytest.raises(Rejected) as refused:
        open_return(path).grids["Information"]
    # an address in lower case is one readers may place differently: refused as such, before it is placed
    expected = "FILE_AMBIGUOUS" if how == "lower case" else "FILE_SHEET_TOO_LARGE"
    assert refused.value.code == expected, (how, refused.value.code, refused.value.detail)


def test_check_sets_aside_a_file_that_aborts_its_reader(good: tuple[Path, Path], tmp_path: Path):
    """``partxl check``, the officer's own check before sending, reads each workbook in a worker process of its own as
    consolidate does: a damaged .xls that makes the reader abort is an error to act on (saying what the reader said),
    never an abort with a Rust backtrace; in a message beside another return, that one is still checked (named here
    for another partnership, so that it has a finding to show it was read)."""
    from .mail_cases import outlook

    broken = tmp_path / "P001 return.xls"
    hostile2.xls_abort(good[0], broken)
    mail = tmp_path / "return.eml"
    mail.write_bytes(outlook("Partnership return", [(broken.name, broken.read_bytes()),
                                                    ("P019 return.xlsx", good[0].read_bytes())]).as_bytes())
    for path in (broken, mail):
        done = subprocess.run([sys.executable, "-m", "partxl", "check", str(path), "--as-of", AS_OF, "--json"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "backtrace" not in done.stderr and "panicked" not in done.stderr, done.stderr
        findings = json.loads(done.stdout)["findings"]
        crashed, = [f for f in findings if f["code"] == "FILE_CRASHED"]
        assert "memory allocation" in crashed["message"] and broken.name in crashed["file"], crashed
        if path == mail:
            assert [f["code"] for f in findings if "P019 return.xlsx" in f["file"]] == ["FILENAME_MISMATCH"], findings
