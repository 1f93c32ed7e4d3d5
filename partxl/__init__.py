"""partxl: a council's partnership register, run from locked Excel workbooks.

The public API is what this module exports (``__all__``); everything else is partxl's own and
may change between releases. Start from a :class:`Workspace`::

    import partxl

    ws = partxl.Workspace.load("my-council")         # its partxl.toml and forms; or .load() for ./partxl.toml or the defaults
    result = ws.consolidate("returns", out="out")     # read, check, record, and write the register, report and summary
    if not result.ok:
        for finding in result.findings:
            print(finding.severity, finding.file, finding.cell, finding.message)
    rows = ws.register_rows("out/register.xlsx")      # the register as dicts keyed by its column headings

With the ``pandas`` extra (``pip install 'partxl[pandas]'``), :mod:`partxl.frames` gives the
register, the findings and the ledger's accepted versions as DataFrames.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from partxl.config import Config, ConfigError
from partxl.errors import PartxlError
from partxl.findings import Code, Finding, Severity
from partxl.forms.definitions import DefinitionError, Field, Form, Spec, Table
from partxl.forms.layout import InputCell, SheetLayout, layout_form
from partxl.forms.names import cell_name
from partxl.issue.generate import GenerateResult
from partxl.outputs.chase import ChaseResult
from partxl.outputs.publish import PublishResult
from partxl.outputs.summary import SummaryResult
from partxl.register.model import Record
from partxl.register.read import RegisterError
from partxl.returns.results import CheckResult, ConsolidateResult, FileResult, Outcome
from partxl.returns.status import OfficerStatus, PartnershipStatus, State, StatusResult
from partxl.workspace import Workspace

try:
    __version__ = version("partxl")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    # the workspace and what its jobs return
    "Workspace", "GenerateResult", "CheckResult", "ConsolidateResult", "FileResult", "Outcome", "StatusResult",
    "OfficerStatus", "PartnershipStatus", "State", "SummaryResult", "PublishResult", "ChaseResult",
    # findings and errors
    "Finding", "Code", "Severity", "PartxlError", "ConfigError", "DefinitionError", "RegisterError",
    # the data: configuration, form definitions, a partnership's record and the names of its answer cells
    "Config", "Spec", "Form", "Field", "Table", "SheetLayout", "InputCell", "layout_form", "Record", "cell_name",
    "__version__",
]
