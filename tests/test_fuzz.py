"""Fuzzing the .xlsx, .xls and .ods readers: damaged returns end as a finding, never as an exception, a hang or a loss.

A good return (and the same saved as .xls and as .ods) is damaged at random in the ways files are damaged on their
way back, and worse: bytes and bits flipped anywhere, the file cut short, a part's XML damaged inside a package that
is otherwise sound (so the damage reaches the parsers, past the zip's checksums), a zip header's fields changed.
Every damaged file is checked as consolidate checks it, in an isolated worker process with a time limit
(:meth:`partxl.workers.Workers.isolated_map` over the same check as ``partxl consolidate``): each must come back as
a checked file (accepted, with errors, or rejected with a finding); a check that raised or timed out, or a file
that did not come back, fails the test. A reader that aborts its process is a finding too (FILE_CRASHED), counted.

The seed and the number of cases are fixed, so CI runs the same few hundred cases a format every time. A longer run:

    PARTXL_FUZZ_CASES=5000 PARTXL_FUZZ_SEED=7 pytest -q tests/test_fuzz.py

(the README says so too); a failure names the seed, the case and the damage, and keeps the file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from partxl.findings import ERROR
from partxl.returns.validate import Checked, check_file
from partxl.workers import Failure, Workers

from . import hostile2, libreoffice, returns

CASES = int(os.environ.get("PARTXL_FUZZ_CASES", "300"))
SEED = int(os.environ.get("PARTXL_FUZZ_SEED", "16"))
AS_OF = dt.date(2027, 4, 19)
_JUNK = [b"<", b">", b"</c>", b"<c>", b'<c r="ZZZZ9999999">', b"<v>", b"</v>", b"<f>", b"</row>", b"<row>", b"<!--", b"-->",
         b"<![CDATA[", b"]]>", b"&#0;", b"&lt;", b"&amp", b'"', b"'", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"<?xml ?>",
         b'r="A0"', b't="e"', b't="s"', b"<v>-1</v>", b"<v>1e999</v>", b"<is><t>x</t></is>", b"xmlns:x=\"urn:x\"",
         b'table:number-rows-repeated="99999999"', b'office:value-type="date" office:date-value="-99999-01-01"']


# ---------------------------------------------------------------- ways to damage a file


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 24)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _damage_text(text: bytes, rng: random.Random) -> bytes:
    """A part's content damaged as a broken writer or an attacker would: flipped, cut, repeated, junk put in."""
    how = rng.randrange(5)
    if how == 0 or not text:
        return _flip_bytes(text or b"<", rng)
    at, length = rng.randrange(len(text)), rng.randint(1, 200)
    if how == 1:
        return text[:at] + text[at + length:]
    if how == 2:
        return text[:at] + text[at: at + length] * rng.randint(2, 50) + text[at:]
    if how == 3:
        return text[:at] + b"".join(rng.choice(_JUNK) for _ in range(rng.randint(1, 6))) + text[at:]
    return text[:at]


def _damage_part(data: bytes, rng: random.Random) -> bytes:
    """One part of the package damaged inside a sound zip, so that the damage reaches the parsers."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
        victim = rng.choice(infos)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as damaged:
            for info in infos:
                part = package.read(info)
                if info is victim:
                    part = _damage_text(part, rng)
                damaged.writestr(info.filename, part, compress_type=info.compress_type)
    return out.getvalue()


def _damage_header(data: bytes, rng: random.Random) -> bytes:
    """A field of a zip header changed: sizes, offsets, name lengths, the compression method, the flags."""
    signatures = [b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"]
    signature = rng.choice(signatures)
    places = [i for i in range(len(data)) if data.startswith(signature, i)]
    if not places:
        return _flip_bytes(data, rng)
    at = rng.choice(places)
    out = bytearray(data)
    field = rng.randrange(4, 30 if signature != b"PK\x05\x06" else 22)
    out[at + field: at + field + 2] = struct.pack("<H", rng.choice([0, 1, 0xFFFF, 0x7FFF, rng.randrange(65536)]))
    return bytes(out)


ZIP_DAMAGE: list[Callable[[bytes, random.Random], bytes]] = [_flip_bytes, _flip_bits, _cut, _damage_part, _damage_part,
                                                             _damage_part, _damage_header]
OLE_DAMAGE: list[Callable[[bytes, random.Random], bytes]] = [_flip_bytes, _flip_bytes, _flip_bits, _cut]


def damaged(good: bytes, suffix: str, rng: random.Random) -> tuple[bytes, str]:
    """One damaged copy of ``good`` and the damage done (by name)."""
    damage = rng.choice(OLE_DAMAGE if suffix == ".xls" else ZIP_DAMAGE)
    return damage(good, rng), damage.__name__.strip("_")


# ---------------------------------------------------------------- the run


def _job(shared: dict[str, Any], path: Path, failure: Failure | None = None) -> tuple[str, str, list[str]]:
    """Check one damaged file in a worker, as consolidate does; what became of it (or how its check failed)."""
    if failure is not None:
        return ("failure:" + failure.kind, failure.detail, [])
    checked: Checked = check_file(path, shared["spec"], shared["config"], shared["as_of"])
    outcome = "rejected" if checked.metadata is None else "errors" if any(f.severity == ERROR for f in checked.findings) \
        else "accepted"
    return (outcome, "", sorted({f.code for f in checked.findings}))


@pytest.fixture(scope="module")
def bases(generated: Path, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fuzz-bases")
    plan = {item.source: item for item in returns.plan()}
    good, = returns.fill_with_openpyxl([plan["P001"]], generated, folder)
    xls = folder / "good.xls"
    hostile2.as_xls(good, xls)
    return {".xlsx": good, ".xls": xls}


def _fuzz(base: Path, suffix: str, folder: Path, spec, config) -> dict[str, int]:
    rng = random.Random(f"{SEED}{suffix}")
    data = base.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[Path, str] = {}
    for n in range(CASES):
        damaged_bytes, how = damaged(data, suffix, rng)
        path = folder / f"case {n:05d} {how}{suffix}"
        path.write_bytes(damaged_bytes)
        made[path] = how
    with Workers({"spec": spec, "config": config, "as_of": AS_OF}, parallel=True) as workers:
        workers.start()
        got = list(workers.isolated_map(_job, ((path,) for path in made), seconds=30))
    assert len(got) == len(made), f"{len(made) - len(got)} file(s) lost"
    tally: dict[str, int] = {}
    for path, (outcome, detail, codes) in zip(made, got, strict=True):
        tally[outcome] = tally.get(outcome, 0) + 1
        assert outcome in ("accepted", "errors", "rejected"), f"seed {SEED}, {path.name}: {outcome} {detail}"
        if outcome == "rejected":
            assert codes, f"seed {SEED}, {path.name}: rejected without a finding"
        path.unlink()  # kept only when the test fails on it
    return tally


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_damaged_returns_each_end_as_a_finding(suffix: str, bases, spec, config, tmp_path: Path):
    tally = _fuzz(bases[suffix], suffix, tmp_path / "cases", spec, config)
    assert tally.get("rejected", 0) >= CASES // 10, tally  # the damage is real: many files are refused
    assert sum(tally.values()) == CASES


@pytest.mark.libreoffice
def test_damaged_ods_returns_each_end_as_a_finding(bases, spec, config, tmp_path: Path):
    ods, = libreoffice.convert([bases[".xlsx"]], "ods", tmp_path / "base")
    tally = _fuzz(ods, ".ods", tmp_path / "cases", spec, config)
    assert tally.get("rejected", 0) >= CASES // 10, tally
    assert sum(tally.values()) == CASES


def test_the_damage_is_deterministic():
    """The same seed damages the same way (so a failure in CI can be made again from its seed and case)."""
    good = bytes(range(256)) * 40
    first, second = random.Random("1.xls"), random.Random("1.xls")
    one = [damaged(good, ".xls", first)[0] for _ in range(5)]
    assert one == [damaged(good, ".xls", second)[0] for _ in range(5)] and len(set(one)) == 5
