"""partxl's benchmark: consolidate and generate against the usual pandas loop and the bare floors.

    python bench/run.py --returns 1000 [--repeat 3]

It makes N returns from the samples (a register of N partnerships cycled from the sample
council, some with the mistakes officers make, issued as workbooks), then measures in one run,
on the same files, each in a fresh process so that peak memory is its own:

1. partxl consolidate, end to end (read, validate, ledger, register, report, summary);
2. the baseline: pandas.read_excel(f, sheet_name=None) over every file, concatenated, no checks;
3. the floor: python-calamine reading every sheet's values of every file, nothing else;
4. consolidate again on the unchanged folder (the ledger knows every file);
5. partxl generate for N partnerships, against xlsxwriter writing the same cells bare.

It prints the medians of --repeat runs (time, returns per second, peak RSS) and the ratios,
and writes them as JSON to bench/results/ with a description of the machine. Not a test: tests
never assert wall time.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

AS_OF = "2027-04-19"


def make_register(n: int, target: Path) -> None:
    """N partnerships cycled from the sample council; one in twenty carries a mistake in its register row."""
    from partxl import Record, Workspace
    from samples.make_samples import TODAY, make_records

    base = make_records()
    records = []
    for i in range(n):
        source = base[i % len(base)]
        values = dict(source.values)
        values["info_name"] = f"{values['info_name']} {i // len(base) + 1}"
        if i % 20 == 7:
            values.pop("info_accountable_body", None)  # a required answer missing
        if i % 20 == 13:
            values["assessment_features_trust_score"] = None
        records.append(Record(f"B{i + 1:05d}", source.status, {k: v for k, v in values.items() if v is not None}))
    Workspace.load().write_register(records, target, as_of=TODAY)


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall time (s), peak resident memory (MiB) and the first line printed, of one command in its own process."""
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:  # files, not pipes: a full pipe stalls a child
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            errors.seek(0)
            raise SystemExit(f"{command[:4]} failed: {errors.read().decode(errors='replace')[-2000:]}")
        output.seek(0)
        said = output.read(4000).decode(errors="replace").strip().splitlines()
    return elapsed, usage.ru_maxrss / 1024, said[0] if said else ""


BASELINE = """
import sys, pathlib, pandas as pd
frames = []
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx")):
    for name, frame in pd.read_excel(f, sheet_name=None).items():
        frame["source"], frame["sheet"] = f.name, name
        frames.append(frame)
print(len(pd.concat(frames, ignore_index=True)))
"""

FLOOR = """
import sys, pathlib
from python_calamine import CalamineWorkbook
cells = 0
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx")):
    book = CalamineWorkbook.from_path(str(f))
    for name in book.sheet_names:
        cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python())
print(cells)
"""

BARE_WRITE = """
import sys, pathlib, xlsxwriter
import partxl
ws = partxl.Workspace.load()
records = ws.records(sys.argv[1])
layouts = [partxl.layout_form(f) for f in ws.spec.workbooks["annual"].forms]
out = pathlib.Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
for record in records:
    book = xlsxwriter.Workbook(str(out / f"{record.id}.xlsx"))
    for lay in layouts:
        sheet = book.add_worksheet(lay.form.sheet)
        for p in lay.placed:
            if isinstance(p.value, str):
                sheet.write_string(p.row, p.col, p.value)
        for cell in lay.inputs:
            value = record.values.get(cell.name)
            if value is not None:
                sheet.write(cell.row, cell.col, value)
    book.close()
"""


def machine() -> dict[str, object]:
    info: dict[str, object] = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                               "processor": platform.processor() or platform.machine()}
    try:
        info["cpu_model"] = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                                 if line.startswith("model name"))
        info["memory_gib"] = round(int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                                           if line.startswith("MemTotal"))) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    for package in ("partxl", "python-calamine", "pandas", "openpyxl", "xlsxwriter"):
        try:
            info[package] = version(package)
        except Exception:  # not installed: the figure is then missing, not wrong
            info[package] = None
    return info


def run(n: int, repeat: int, work: Path, only: set[str]) -> dict[str, object]:
    python = sys.executable
    register = work / "register.xlsx"
    # In a child: this process must stay small, because a child's peak memory as the kernel reports it
    # includes the copy of its parent it starts as, before it becomes the measured program.
    subprocess.run([python, "-m", "bench.run", "--make-register", str(n), str(register)], check=True, cwd=REPO)
    returns = work / "returns"
    measure([python, "-m", "partxl", "generate", "--register", str(register), "--out", str(returns)], cwd=REPO)
    names = [k for k in ("consolidate", "rerun", "baseline", "floor", "generate", "bare") if not only or k in only]
    times: dict[str, list[tuple[float, float, str]]] = {k: [] for k in names}
    for i in range(repeat):
        out = work / f"out{i}"
        consolidate = [python, "-m", "partxl", "consolidate", str(returns), "--out", str(out), "--previous", str(register),
                       "--as-of", AS_OF]  # as the MIO runs it: a summary, not every finding as JSON
        commands = {
            "consolidate": (consolidate, REPO), "rerun": (consolidate, REPO),
            "baseline": ([python, "-c", BASELINE, str(returns)], None), "floor": ([python, "-c", FLOOR, str(returns)], None),
            "generate": ([python, "-m", "partxl", "generate", "--register", str(register), "--out", str(work / f"gen{i}")], REPO),
            "bare": ([python, "-c", BARE_WRITE, str(register), str(work / f"bare{i}")], None),
        }
        for name in names:
            times[name].append(measure(*commands[name]))
        shutil.rmtree(out, ignore_errors=True)
    median = {k: (statistics.median(t for t, _, _ in v), statistics.median(m for _, m, _ in v)) for k, v in times.items()}
    ratio = {  # a ratio needs both of its figures
        "consolidate / baseline": ("consolidate", "baseline"), "consolidate / floor": ("consolidate", "floor"),
        "rerun / consolidate": ("rerun", "consolidate"), "generate / bare xlsxwriter": ("generate", "bare"),
    }
    return {
        "returns": n, "repeat": repeat,
        "consolidate_said": times["consolidate"][0][2] if times.get("consolidate") else "",  # what became of the returns
        "seconds": {k: round(v[0], 3) for k, v in median.items()},
        "returns_per_second": {k: round(n / v[0], 1) for k, v in median.items()},
        "peak_rss_mib": {k: round(v[1], 1) for k, v in median.items()},
        "ratios": {label: round(median[a][0] / median[b][0], 3) for label, (a, b) in ratio.items() if a in median and b in median},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", type=int, default=1000, help="how many returns (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of (default 3)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--only", default="", help="measure only these, comma-separated (e.g. consolidate,rerun,floor "
                                                   "for a scaling run at 10,000, where the pandas loop alone takes many minutes)")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="folder for the JSON (default bench/results)")
    parser.add_argument("--make-register", nargs=2, metavar=("N", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_register:
        make_register(int(args.make_register[0]), Path(args.make_register[1]))
        return
    # partxl's modules compiled to bytecode as an installed package's are (pip compiles them as it installs; the
    # baselines' libraries are compiled too): with PYTHONDONTWRITEBYTECODE set, as on some machines, every measured run
    # would otherwise compile partxl's sources afresh (about 50 ms).
    compileall.compile_dir(REPO / "partxl", quiet=1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="partxl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args.returns, args.repeat, work, set(filter(None, args.only.split(","))))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"] = machine()
    result["when"] = dt.datetime.now().isoformat(timespec="seconds")
    results = args.results
    results.mkdir(parents=True, exist_ok=True)
    target = results / f"{dt.datetime.now():%Y%m%d-%H%M%S}-n{args.returns}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result["seconds"])
    print(f"partxl benchmark, {args.returns} returns, median of {args.repeat} run(s)")
    if result["consolidate_said"]:
        print(f"  partxl consolidate said: {result['consolidate_said']}")
    for key, seconds in result["seconds"].items():
        print(f"  {key:<{width}}  {seconds:9.2f} s  {result['returns_per_second'][key]:9.1f} returns/s  "
              f"{result['peak_rss_mib'][key]:7.0f} MiB peak")
    for key, ratio in result["ratios"].items():
        print(f"  {key:<28} {ratio:7.3f}")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
