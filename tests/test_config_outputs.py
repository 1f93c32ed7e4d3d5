"""Every setting an output shows is in what decides whether outputs are rebuilt: change one, and the
outputs that use it are written again with the new value (they were left "unchanged", with the old one)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

import partxl

from .conftest import REPO

AS_OF = dt.date(2027, 4, 19)
BASE = '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n'


def _values(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None}


CHANGES = [  # (toml, output that shows it, what it then shows)
    ('[council]\nname = "Eastmoor Borough Council"\n', "validation_report.xlsx", "Eastmoor Borough Council: validation report, 2026/27"),
    ('[cycle]\ndeadline = 2027-07-23\n', "validation_report.xlsx", "As at 19 April 2027. Returns were due by 23 July 2027."),
    ('[policy]\ngrant_threshold = 50000\n', "register.xlsx", "Grant ≥ £50,000"),
    ('[policy]\ngrant_threshold = 50000\n', "committee_summary.xlsx", "Grants of £50,000 or more"),
    ('[mio]\nname = "Sam Lee"\nemail = "sam.lee@example.org"\n', "decisions.xlsx",
     "Decisions are recorded in the name of Sam Lee, the MIO of the configuration."),
]


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    for name in ("P001 annual return.xlsx", "P003 return.xlsx"):
        shutil.copy(REPO / "samples" / "returns" / name, folder)
    return folder


@pytest.mark.parametrize("toml,output,shown", CHANGES, ids=[c[0].split("\n")[1].split(" =")[0] + "-" + c[1] for c in CHANGES])
def test_changing_a_setting_rebuilds_the_outputs_that_show_it(tmp_path: Path, returns: Path, toml: str, output: str, shown: str):
    config = tmp_path / "partxl.toml"
    config.write_text(BASE)
    out = tmp_path / "out"
    kwargs = {"out": out, "previous": REPO / "samples" / "register.xlsx", "as_of": AS_OF}
    partxl.Workspace.load(config=config).consolidate(returns, **kwargs)
    assert shown not in _values(out / output)
    again = partxl.Workspace.load(config=config).consolidate(returns, **kwargs)
    assert set(again.outputs.values()) == {"unchanged"}  # nothing changed: nothing rebuilt
    config.write_text(BASE + toml)
    changed = partxl.Workspace.load(config=config).consolidate(returns, **kwargs)
    assert changed.outputs[out / output] == "superseded"
    assert shown in _values(out / output)


CHANGED_ONLY = [  # (toml, output whose content changes)
    ("[policy]\nreview_interval_months = 6\n", "register.xlsx"),  # the Review due and Review overdue columns
    ('[[officers]]\nname = "Asha Patel"\nemail = "asha.patel@wexbridge.example"\n', "validation_report.xlsx"),  # status by officer
]


@pytest.mark.parametrize("toml,output", CHANGED_ONLY, ids=[c[0].split("\n")[1].split(" =")[0] for c in CHANGED_ONLY])
def test_changing_a_setting_changes_what_the_output_shows(tmp_path: Path, returns: Path, toml: str, output: str):
    config = tmp_path / "partxl.toml"
    config.write_text(BASE)
    out = tmp_path / "out"
    kwargs = {"out": out, "previous": REPO / "samples" / "register.xlsx", "as_of": AS_OF}
    partxl.Workspace.load(config=config).consolidate(returns, **kwargs)
    before = _values(out / output)
    config.write_text(BASE + toml)
    changed = partxl.Workspace.load(config=config).consolidate(returns, **kwargs)
    assert changed.outputs[out / output] == "superseded" and _values(out / output) != before


def test_the_configured_language_is_declared_by_every_document(tmp_path: Path, returns: Path):
    import zipfile

    config = tmp_path / "partxl.toml"
    config.write_text(BASE + '[council]\nlanguage = "cy-GB"\n')
    ws = partxl.Workspace.load(config=config)
    out = tmp_path / "out"
    ws.consolidate(returns, out=out, previous=REPO / "samples" / "register.xlsx", as_of=AS_OF)
    ws.generate(tmp_path / "wb", register=REPO / "samples" / "register.xlsx", only=("P001",))
    ws.publish(out / "register.xlsx", out=tmp_path / "public", as_of=AS_OF)
    books = [out / n for n in ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx", "decisions.xlsx")]
    for path in [*books, *(tmp_path / "wb").glob("*.xlsx")]:
        with zipfile.ZipFile(path) as archive:
            assert b"<dc:language>cy-GB</dc:language>" in archive.read("docProps/core.xml"), path.name
    assert '<html lang="cy-GB">' in (tmp_path / "public" / "index.html").read_text()
    config.write_text(BASE + '[council]\nlanguage = "English"\n')
    with pytest.raises(partxl.ConfigError, match="language tag"):
        partxl.Workspace.load(config=config)
