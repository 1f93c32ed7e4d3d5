"""A genuine return with a large photo pasted in is read as the return it is (issue 16, "Also").

Officers paste a logo or a site photo into a workbook (5-15 MB from a phone, more from a camera). No reader
inflates a picture (calamine is handed only the parts read), so its size is no reason to refuse the return:
it is read, with the same answers as without the photo. Only a file beyond the whole-file limit is refused,
and then the finding says how big it is and to delete the picture, not that it is "not a partnership return".
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from partxl.returns import package, read
from partxl.returns.validate import check_file

from . import hostile2, returns
from .conftest import REPO, SAMPLE_REGISTER, run_cli
from .libreoffice import convert

AS_OF = "2027-04-19"


@pytest.fixture(scope="module")
def good(generated: Path, tmp_path_factory) -> Path:
    one, = returns.good_returns(generated, tmp_path_factory.mktemp("photo-good"), "P001")
    return one


@pytest.fixture(scope="module")
def photos(good: Path, tmp_path_factory) -> dict[int, Path]:
    """The good return with a photo of 8, 15 and 60 MB (60: beyond the 50 MB a part may inflate to)."""
    folder = tmp_path_factory.mktemp("photos")
    built = {}
    for megabytes in (8, 15, 60):
        built[megabytes] = folder / f"P001 annual return with a {megabytes} MB photo.xlsx"
        hostile2.with_photo(megabytes)(good, built[megabytes])
    return built


def test_the_photo_is_there_as_excel_stores_it(photos: dict[int, Path]):
    with zipfile.ZipFile(photos[60]) as package:
        picture = package.getinfo("xl/media/image1.png")
        assert picture.file_size > read.MAX_MEMBER_BYTES  # the old limit refused the return for it
        assert b'r:embed="rId1"' in package.read("xl/drawings/drawing1.xml")
        assert b"<drawing " in package.read(hostile2.INFORMATION)


@pytest.mark.parametrize("megabytes", [8, 15, 60])
def test_a_return_with_a_photo_is_read_as_the_same_return(photos: dict[int, Path], good: Path, spec, config, megabytes: int):
    as_of = dt.date.fromisoformat(AS_OF)
    plain, pictured = check_file(good, spec, config, as_of), check_file(photos[megabytes], spec, config, as_of)
    assert pictured.metadata == plain.metadata and pictured.values == plain.values
    assert [f.code for f in pictured.findings] == [f.code for f in plain.findings]
    assert pictured.accepted == plain.accepted


def test_consolidate_accepts_it_and_registers_its_answers(photos: dict[int, Path], good: Path, tmp_path: Path):
    registers = {}
    for name, source in (("plain", good), ("photo", photos[15])):
        folder = tmp_path / name / "returns"
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / good.name)  # the same name: the register shows it
        code, printed, err = run_cli("consolidate", str(folder), "--out", str(tmp_path / name / "out"), "--previous",
                                     str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json")
        assert "Traceback" not in err
        report = json.loads(printed)
        assert [f["outcome"] for f in report["files"]] == ["accepted"], report["findings"]
        registers[name] = _rows(tmp_path / name / "out" / "register.xlsx")
    assert registers["photo"] == registers["plain"]


def _rows(path: Path) -> list[tuple]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return [row for row in book["Register"].iter_rows(values_only=True)]


def test_a_file_beyond_the_limit_is_told_to_lose_the_picture(tmp_path: Path, spec, config, monkeypatch):
    """The whole-file limit stands (200 MB); the finding says the size and what to do, in the officer's terms."""
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 1 << 20)  # a 1 MB limit stands in for 200 MB, to keep the test small
    small, target = REPO / "samples" / "returns" / "P001 annual return.xlsx", tmp_path / "P001 with a photo.xlsx"
    hostile2.with_photo(2)(small, target)
    assert small.stat().st_size < 1 << 20 < target.stat().st_size
    checked = check_file(target, spec, config, dt.date.fromisoformat(AS_OF))
    finding, = checked.findings
    assert finding.code == "FILE_TOO_LARGE" and "is, or would unpack to," in finding.message
    assert "photo" in finding.hint and "delete it" in finding.hint and "not a partnership return" not in finding.hint


@pytest.mark.libreoffice
def test_the_return_saved_by_libreoffice_with_its_photo_is_read_the_same(photos: dict[int, Path], good: Path, tmp_path: Path,
                                                                          spec, config):
    """An officer on LibreOffice sends the workbook back with the photo in it, as .xlsx or as .ods."""
    source = tmp_path / "in" / "P001 annual return.xlsx"
    source.parent.mkdir()
    shutil.copyfile(photos[15], source)
    as_of = dt.date.fromisoformat(AS_OF)
    plain = check_file(good, spec, config, as_of)
    for kind in ("ods", "xlsx:Calc MS Excel 2007 XML"):
        saved, = convert([source], kind, tmp_path / kind.split(":")[0])
        with zipfile.ZipFile(saved) as package:
            pictures = [i.file_size for i in package.infolist() if i.filename.lower().endswith(".png")]
        assert pictures and max(pictures) > 10_000_000, (kind, pictures)  # LibreOffice kept the photo
        checked = check_file(saved, spec, config, as_of)
        assert checked.metadata is not None and checked.values == plain.values, (kind, checked.findings)
