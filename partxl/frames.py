"""The analyst's way in: the register, the findings and the ledger's accepted versions as pandas DataFrames.

Needs the ``pandas`` extra (``pip install 'partxl[pandas]'``); nothing else in partxl imports pandas.

    import partxl
    from partxl import frames

    ws = partxl.Workspace.load()
    register = frames.register(ws, "out/register.xlsx")          # one row per partnership, the register's columns
    findings = frames.findings(ws.consolidate("returns", out="out"))
    versions = frames.accepted_versions("out/ledger.sqlite")     # every accepted return ever recorded
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partxl.errors import PartxlError
from partxl.findings import Finding

if TYPE_CHECKING:
    import pandas

    from partxl.workspace import Workspace

FINDING_COLUMNS = ["severity", "code", "file", "partnership", "form", "sheet", "cell", "field", "value", "message", "hint"]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise PartxlError("DataFrames need pandas: pip install 'partxl[pandas]'") from None
    return pandas


def register(workspace: Workspace, path: str | Path, *, as_of: dt.date | None = None) -> pandas.DataFrame:
    """The register file at ``path``: a row per partnership, a column per register heading, indexed by Partnership ID."""
    rows = workspace.register_rows(path, as_of=as_of)
    frame = _pandas().DataFrame.from_records(rows)
    return frame.set_index("Partnership ID", drop=False) if not frame.empty else frame


def findings(result: Any) -> pandas.DataFrame:
    """The findings of any result (``result.findings``) or of a list of findings, a column per attribute."""
    items: list[Finding] = list(getattr(result, "findings", result))
    return _pandas().DataFrame.from_records([f.as_dict() for f in items], columns=FINDING_COLUMNS)


def accepted_versions(ledger: str | Path) -> pandas.DataFrame:
    """The ledger's ``accepted_versions`` view: every accepted return recorded, with who sent it and when the message was
    received (``sender`` empty and ``received`` missing for one saved into the folder). The ledger is only read: one an
    earlier partxl wrote has these columns once consolidate has run on it.

    Oldest first as consolidate orders returns: by the run that first saw each, then when it was received or arrived in
    the folder; never by the saved date a workbook claims (its sender writes it: a draft may say 2099)."""
    path = Path(ledger)
    if not path.is_file():
        raise PartxlError(f"{path}: no such ledger (partxl consolidate writes it into its --out folder)")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        return _pandas().read_sql_query(
            "SELECT * FROM accepted_versions ORDER BY first_run, COALESCE(received, arrived, first_seen), first_seen, sha256", db)
