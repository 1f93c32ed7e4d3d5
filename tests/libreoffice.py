"""Drive a real LibreOffice from the tests: convert files, and type into them as a person would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's Python, which has python3-uno
INSTALL = "apt-get install libreoffice-calc-nogui python3-uno poppler-utils"


def require() -> str:
    """The soffice path; without LibreOffice, fail in CI (which installs it) and skip elsewhere."""
    soffice = shutil.which("soffice")
    uno = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0 \
        if os.path.exists(SYSTEM_PYTHON) else False
    if soffice and uno:
        return soffice
    message = f"LibreOffice with python3-uno is needed for real-client tests: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def convert(files: list[Path], to: str, out_dir: Path) -> list[Path]:
    """``soffice --convert-to`` every file in one run, with a throw-away profile."""
    soffice = require()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="partxl-lo-") as profile:
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", to, "--outdir", str(out_dir), *map(str, files)],
            capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    suffix = "." + to.split(":")[0]
    outputs = [out_dir / (f.stem + suffix) for f in files]
    missing = [p for p in outputs if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}: {done.stdout} {done.stderr}"
    return outputs


def type_into(jobs: list[dict], work: Path) -> list[dict]:
    """Run ``lo_type.py`` (see there): each job opens a file, types into cells through Calc and saves."""
    require()
    job_file = work / "lo_jobs.json"
    job_file.write_text(json.dumps({"jobs": jobs}))
    done = subprocess.run([SYSTEM_PYTHON, str(HERE / "lo_type.py"), str(job_file)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["results"]
