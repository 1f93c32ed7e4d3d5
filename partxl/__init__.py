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

Each name is imported when first used, so that a command pays only for the parts it runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from partxl.config import Config, ConfigError
    from partxl.errors import PartxlError
    from partxl.findings import Code, Finding, Severity
    from partxl.forms.definitions import DefinitionError, Field, Form, Spec, Table
    from partxl.forms.layout import InputCell, SheetLayout, layout_form
    from partxl.forms.names import cell_name
    from partxl.issue.generate import GenerateResult
    from partxl.outputs.chase import ChaseResult
    from partxl.outputs.evaluation import EvaluationReport, EvaluationsResult
    from partxl.outputs.partnership import PartnershipResult, UnknownPartnership
    from partxl.outputs.publish import PublishResult
    from partxl.outputs.summary import SummaryResult
    from partxl.register.model import Record
    from partxl.register.read import RegisterError
    from partxl.returns.results import CheckResult, ConsolidateResult, FileResult, Outcome
    from partxl.returns.status import OfficerStatus, PartnershipStatus, State, StatusResult
    from partxl.workspace import Workspace

_WHERE = {
    "partxl.workspace": ["Workspace"],
    "partxl.issue.generate": ["GenerateResult"],
    "partxl.returns.results": ["CheckResult", "ConsolidateResult", "FileResult", "Outcome"],
    "partxl.returns.status": ["StatusResult", "OfficerStatus", "PartnershipStatus", "State"],
    "partxl.outputs.summary": ["SummaryResult"],
    "partxl.outputs.publish": ["PublishResult"],
    "partxl.outputs.chase": ["ChaseResult"],
    "partxl.outputs.partnership": ["PartnershipResult", "UnknownPartnership"],
    "partxl.outputs.evaluation": ["EvaluationsResult", "EvaluationReport"],
    "partxl.findings": ["Finding", "Code", "Severity"],
    "partxl.errors": ["PartxlError"],
    "partxl.config": ["Config", "ConfigError"],
    "partxl.forms.definitions": ["DefinitionError", "Spec", "Form", "Field", "Table"],
    "partxl.register.read": ["RegisterError"],
    "partxl.forms.layout": ["SheetLayout", "InputCell", "layout_form"],
    "partxl.register.model": ["Record"],
    "partxl.forms.names": ["cell_name"],
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    # the workspace and what its jobs return
    "Workspace", "GenerateResult", "CheckResult", "ConsolidateResult", "FileResult", "Outcome", "StatusResult",
    "OfficerStatus", "PartnershipStatus", "State", "SummaryResult", "PublishResult", "ChaseResult", "PartnershipResult",
    "EvaluationsResult", "EvaluationReport",
    # findings and errors
    "Finding", "Code", "Severity", "PartxlError", "ConfigError", "DefinitionError", "RegisterError", "UnknownPartnership",
    # the data: configuration, form definitions, a partnership's record and the names of its answer cells
    "Config", "Spec", "Form", "Field", "Table", "SheetLayout", "InputCell", "layout_form", "Record", "cell_name",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("partxl")
        except PackageNotFoundError:  # a checkout that was never installed
            value = "0+unknown"
    elif name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    else:
        raise AttributeError(f"module 'partxl' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
