"""An OOXML schema check for the .xlsx files partxl writes, for tests.

The check is openxml-audit's ``OpenXmlValidator`` (a pure-Python port of the Open XML SDK's
validator: package structure, relationships, the ECMA-376 schemas as the SDK encodes them, and
the SDK's semantic constraints), plus two checks for gaps found in openxml-audit 0.8 while
proving it on deliberately broken files (see tests/test_ooxml.py):

* it does not report a part that is not well-formed XML: the package notes the parse error but
  the validator never collects it, so a worksheet cut short passes. Every XML part is parsed here.
* it reports an attribute the schema does not declare only for an element name that has exactly
  one schema type, which leaves out ``row``, ``c``, ``pageSetup``, ``sheetProtection`` and most of
  the worksheet. Here every element the schema knows is checked: an attribute in no namespace
  must be declared by one of the types its name can have (the union, so a wrongly chosen type
  can't make a false report).

Use :func:`check` for a file's problems and :func:`describe` for an assertion message that names
each problem's part, path and message.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from openxml_audit import FileFormat, OpenXmlValidator, ValidationSeverity
from openxml_audit.codegen.schema_loader import get_registry

# Office 2019: the validator's (and its pytest plugin's) default, the current Excel's view of the
# schemas; partxl's outputs were found equally clean at Office 2007, Office 2010 and Microsoft 365.
FILE_FORMAT = FileFormat.OFFICE_2019

# Findings that are no schema error, ignored by id (and only at severity warning):
# * Excel_InlineStrCells: inline-string cells (<c t="inlineStr"><is>...) with no shared-strings
#   part. That is valid ECMA-376 (CT_Cell/is, CT_Rst); openxml-audit notes it only as "Excel will
#   move them to a shared-strings table on its next save" (source class EXCEL_APP_COMPAT). It is
#   what xlsxwriter's constant_memory mode writes by design, i.e. partxl's streamed register and
#   validation report.
IGNORED_WARNINGS = frozenset({"Excel_InlineStrCells"})

MAX_LISTED = 40  # problems listed in an assertion message; the count says how many there are


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where it is and what is wrong."""

    part: str  # the package part, e.g. /xl/worksheets/sheet3.xml
    path: str  # where in the part, e.g. /worksheet[1]/sheetData[1]/row[1]/c[1]
    message: str
    source: str  # who found it: "openxml-audit <type> <id>", "well-formedness", "undeclared attribute"
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.part} {self.path or '-'}: {self.message} [{self.severity}; {self.source}]"


@functools.cache
def validator() -> OpenXmlValidator:
    """One validator for the session: building it loads the schemas (about 0.2 s)."""
    return OpenXmlValidator(file_format=FILE_FORMAT, max_errors=0)  # 0: report every error


def check(path: str | Path) -> list[Problem]:
    """Every schema problem of the .xlsx at ``path``; empty when it passes."""
    path = Path(path)
    problems = [_from_audit(e) for e in validator().validate(path).errors
                if not (e.severity == ValidationSeverity.WARNING and e.id in IGNORED_WARNINGS)]
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.endswith((".xml", ".rels")):
                problems.extend(_check_part("/" + name, book.read(name)))
    return problems


def describe(problems: Iterable[Problem], label: str = "") -> str:
    """An assertion message: how many problems, then each one's part, path and message."""
    problems = list(problems)
    lines = [f"{label}: {len(problems)} OOXML schema problem(s)" if label else f"{len(problems)} OOXML schema problem(s)"]
    lines += [f"  {p}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return "\n".join(lines)


def rewrite(source: Path, target: Path, part: str, edit: Callable[[str], str]) -> str:
    """Copy the package ``source`` to ``target`` with ``edit`` applied to the first part whose name matches the regex
    ``part`` and that ``edit`` changes; returns that part's name (as a part, /xl/...). Raises when no part changes."""
    changed = ""
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in book.infolist():
            data = book.read(info)
            if not changed and re.fullmatch(part, info.filename):
                text = data.decode("utf-8")
                edited = edit(text)
                if edited != text:
                    data, changed = edited.encode("utf-8"), "/" + info.filename
            out.writestr(info, data)
    if not changed:
        raise AssertionError(f"the edit changed no part matching {part!r} of {source.name}")
    target.write_bytes(buffer.getvalue())
    return changed


# ---------------------------------------------------------------- internals


def _from_audit(error) -> Problem:  # an openxml_audit.ValidationError
    where = error.path or (error.node or "")
    source = " ".join(s for s in ("openxml-audit", error.error_type.value, error.id) if s)
    return Problem(error.part_uri, where, error.description, source, error.severity.value)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _check_part(part: str, data: bytes) -> list[Problem]:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [Problem(part, "", f"not well-formed XML: {exc}", "well-formedness")]
    return [Problem(part, f"{_path(element)}/@{name}", f"The '{name}' attribute is not declared.", "undeclared attribute")
            for element in root.iter() if isinstance(element.tag, str)
            for name in element.attrib
            if not name.startswith("{") and _declared(element.tag) is not None and name not in _declared(element.tag)]


@functools.cache
def _declared(tag: str) -> frozenset[str] | None:
    """The attributes in no namespace that some schema type of the element ``tag`` declares; None when openxml-audit
    itself checks the element's attributes (one type, with attributes) or the schemas don't know the element."""
    candidates = get_registry().get_element_type_candidates(tag)
    if not candidates:
        return None
    if len(candidates) == 1 and candidates[0].attributes:
        return None
    return frozenset(a.qname[1:] for c in candidates for a in c.attributes if a.qname.startswith(":"))


def _path(element) -> str:
    steps = []
    while element is not None:
        parent = element.getparent()
        index = 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == element.tag)
        steps.append(f"{etree.QName(element).localname}[{index if parent is not None else 1}]")
        element = parent
    return "/" + "/".join(reversed(steps))
