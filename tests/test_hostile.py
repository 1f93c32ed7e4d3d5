"""Returns from the real world: the hostile-input corpus of tests/hostile.py through `partxl consolidate`.

Good returns must all be accepted, every bad file must get its own clear finding (never a
traceback), and the run must stay within bounded time and memory.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest

from partxl.returns.validate import check_file

from . import finding_cases as fc
from . import hostile, returns
from .conftest import SAMPLE_REGISTER, run_cli
from .inspect_xlsx import register_answers
from .peak import run_measured

AS_OF = "2027-04-19"
ACCEPTED = {"accepted", "superseded"}  # several variants of one partnership: the newest wins, the others are kept


@pytest.fixture(scope="module")
def good(generated: Path, tmp_path_factory) -> tuple[Path, Path]:
    one, two = returns.good_returns(generated, tmp_path_factory.mktemp("good"), "P001", "P019")
    return one, two


@pytest.fixture(scope="module")
def corpus(good: tuple[Path, Path], tmp_path_factory) -> tuple[Path, list[hostile.Case]]:
    folder = tmp_path_factory.mktemp("corpus") / "returns"
    cases = hostile.build(folder, good[0], good[1])
    shutil.copyfile(good[0], folder / "P001 good.xlsx")
    fc.one_by_one(folder)
    return folder, cases


@pytest.fixture(scope="module")
def outcome(corpus, tmp_path_factory) -> dict:
    """consolidate in its own process, as the MIO runs it, with a memory ceiling and a time limit."""
    folder, _ = corpus
    out = tmp_path_factory.mktemp("corpus-out")
    done, peak = run_measured([sys.executable, "-m", "partxl", "consolidate", str(folder), "--out", str(out), "--previous",
                               str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json"], out.parent / f"{out.name}-peak.json",
                              memory=4 << 30, timeout=180)
    assert done.returncode == 1, done.stderr  # some returns have errors, the report is written
    assert "Traceback" not in done.stderr
    return {"report": json.loads(done.stdout), "peak_mib": peak, "out": out}


def test_every_file_gets_its_expected_outcome_and_finding(corpus, outcome):
    folder, cases = corpus
    files = {f["path"]: f for f in outcome["report"]["files"]}
    findings: dict[str, set[str]] = {}
    for f in outcome["report"]["findings"]:
        findings.setdefault(f["file"], set()).add(f["code"])
    assert files["P001 good.xlsx"]["outcome"] in ACCEPTED
    for case in cases:
        got = files[case.name]["outcome"]
        # several variants of one partnership: only its newest return stands, the older ones are superseded
        expected = {case.outcome, "superseded"} if case.outcome in ("accepted", "errors", "held") else {case.outcome}
        assert got in expected, (case.name, got, findings.get(case.name))
        assert case.codes <= findings.get(case.name, set()), (case.name, findings.get(case.name))
        if case.outcome in ("rejected", "errors", "held"):
            assert findings.get(case.name), case.name
    assert len(files) == len(cases) + 1


def test_the_corpus_runs_in_bounded_memory(outcome):
    assert outcome["peak_mib"] < 1024, outcome["peak_mib"]


def test_values_come_through_intact(corpus, spec, config):
    folder, cases = corpus
    for case in cases:
        if case.values:
            checked = check_file(folder / case.name, spec, config, dt.date.fromisoformat(AS_OF))
            for name, value in case.values.items():
                assert checked.values.get(name) == value, (case.name, name, checked.values.get(name))


def test_text_that_looks_like_a_formula_stays_text_in_the_register(corpus, tmp_path: Path, spec):
    folder, cases = corpus
    single = tmp_path / "returns"
    single.mkdir()
    shutil.copyfile(folder / "leading symbols.xlsx", single / "leading symbols.xlsx")
    code, _, err = run_cli("consolidate", str(single), "--out", str(tmp_path / "out"), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF)
    assert code == 0, err
    found = register_answers(tmp_path / "out" / "register.xlsx", spec)
    for name, value in hostile.LEADING.items():
        assert found[("P001", name)].value == value and found[("P001", name)].data_type == "s", name


def test_a_folder_of_no_files(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    code, out, err = run_cli("consolidate", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "--previous",
                             str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json")
    report = json.loads(out)
    assert code == 0 and report["files"] == []
    assert {f["code"] for f in report["findings"]} == {"NOT_RETURNED", "EXCLUDED"}
    assert (tmp_path / "out" / "register.xlsx").exists()
