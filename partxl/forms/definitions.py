"""Form definitions: load ``workbook_templates/*.yaml`` into typed, frozen objects.

A field is described once, in a definition file; generation, reading and validation all
work from the objects built here. Loading checks the files thoroughly, because a council
edits them by hand: every mistake raises :class:`DefinitionError` naming the file and the
field, before any workbook is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from partxl.config import DEFAULTS_PATH, TEMPLATES_DIR, Config, Problems
from partxl.errors import PartxlError
from partxl.forms import contract
from partxl.forms.fieldtypes import TABLE, TYPES

try:  # libyaml's parser when PyYAML has it: ten times faster; the constructor and resolver stay Python's
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,19}$")
RESERVED_FORM_IDS = {"meta", "list", "cfg"}
CHOICE_SOURCES = {"strategic_objectives", "officers", "leads"}
RULE_KINDS = {"not_before", "required_if", "implies", "flag", "overdue", "past", "current_row", "recent", "accepted"}
RULE_DEFAULTS = {  # kind: (finding code, severity) unless the rule says otherwise
    "not_before": ("DATE_ORDER", "error"), "required_if": ("MISSING_CONDITIONAL", "error"),
    "implies": ("INCONSISTENT", "warning"), "flag": ("FLAGGED", "warning"), "overdue": ("OVERDUE", "warning"),
    "past": ("PAST_DATE", "warning"), "current_row": ("NO_CURRENT_ROW", "warning"), "recent": ("RECENT_DATE", "warning"),
    "accepted": ("NOT_ACCEPTED", "warning"),
}
MONTHS_FROM = {"review_interval_months"}
SETTINGS = {"agreement_types"}  # the settings ([policy] in partxl.toml) an accepted rule reads its lists from
THRESHOLDS = {"grant_threshold"}  # the settings ([policy] in partxl.toml) an at_least value compares with
FIELDS_FROM = {"significant_if"}  # the settings ([policy]) an any_yes value may take its answers from
COMPUTED_KINDS = {"at_least", "any_yes"}
SEVERITIES = {"error", "warning"}


class DefinitionError(PartxlError):
    """A mistake in a definition file, said so that the council officer editing it can fix it."""

    def __init__(self, path: Path | str, where: str, problem: str):
        self.path, self.where, self.problem = Path(path), where, problem
        super().__init__(f"{Path(path).name}: {where}: {problem}")


@dataclass(frozen=True)
class Field:
    """One answer: a scalar field of a form, or one column of a table."""

    id: str
    label: str
    type: str
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    choices_from: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    register: str | None = None
    choice_help: tuple[tuple[str, str], ...] = ()  # (choice, what it means): printed under the question, a row each
    only_in: tuple[str, ...] = ()  # the kinds of workbook that ask it (workbook.yaml); empty: every kind


@dataclass(frozen=True)
class FixedRow:
    id: str
    label: str
    text: str = ""


@dataclass(frozen=True)
class Table:
    """Repeating rows (``rows: 6``) or fixed, labelled rows (a list), each with the same columns."""

    id: str
    label: str
    columns: tuple[Field, ...]
    rows: int | tuple[FixedRow, ...]
    help: str = ""
    min_rows: int = 0
    register: str | None = None
    row_header: str = ""
    text_header: str = ""
    type: str = TABLE
    only_in: tuple[str, ...] = ()

    @property
    def fixed(self) -> bool:
        return not isinstance(self.rows, int)

    def row_keys(self) -> list[str]:
        """Keys that make cell names unique: 1, 2, … for repeating rows, the row id for fixed rows."""
        if isinstance(self.rows, int):
            return [str(i) for i in range(1, self.rows + 1)]
        return [row.id for row in self.rows]

    def row_label(self, key: str) -> str:
        if isinstance(self.rows, int):
            return f"{self.label.replace('(s)', '')} {key}"
        return next(row.label for row in self.rows if row.id == key)

    def column(self, column_id: str) -> Field:
        return next(c for c in self.columns if c.id == column_id)


Item = Field | Table


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Rule:
    """A check on one or more fields; references are ``name``, ``table.column`` or ``form:name``.

    not_before: ``field`` is not before ``other``.   required_if: ``field`` is needed ``when``.
    implies: ``when`` holds, so ``field`` should equal ``equals``.   flag: ``field`` equals ``equals``.
    overdue: the date ``field`` is more than ``months`` (or the configured ``months_from``) ago.
    past: the date ``field`` has passed, ``unless`` another answer says it was dealt with (or, without ``equals``, is
    given at all).
    current_row: a repeating table has rows but none with ``field`` (a column) empty.
    recent: the date ``field`` falls within the last ``months`` (or ``months_from``), ``unless`` as for past.
    accepted: ``field`` is one of the answers the setting ``setting`` accepts for the answer in ``by`` (a category's
    agreement types, say); answers it lists nothing for accept anything.
    A reference may also name one of the form's worked-out values (``significant``).
    """

    kind: str
    field: str
    message: str
    code: str
    severity: str
    other: str | None = None
    when_field: str | None = None
    when_equals: str | None = None
    equals: str | None = None
    months: int | None = None
    months_from: str | None = None
    unless_field: str | None = None
    unless_equals: str | None = None
    title: str = ""  # a short name for summaries, e.g. "Review overdue"
    by: str | None = None
    setting: str | None = None

    def refs(self) -> list[str]:
        return [r for r in (self.field, self.other, self.when_field, self.unless_field, self.by) if r]


@dataclass(frozen=True)
class Computed:
    """A value the workbook works out with a locked formula, e.g. whether a partnership is significant."""

    id: str
    label: str
    kind: str
    field: str | None = None
    fields: tuple[str, ...] = ()
    threshold: str | None = None
    fields_from: str | None = None  # instead of fields: a setting that lists them ([policy] significant_if)


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: str
    sheet: str
    source: str
    intro: str
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...] = ()
    computed: tuple[Computed, ...] = ()
    path: Path = field(default=Path(), compare=False)

    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    @functools.cached_property
    def _by_id(self) -> dict[str, Item]:  # written past the frozen dataclass's __setattr__, as cached_property does
        found: dict[str, Item] = {}
        for item in self.items():
            found.setdefault(item.id, item)
        return found

    def find(self, item_id: str) -> Item | None:
        """The question or table ``item_id``; None for anything else (a worked-out value, say). Asked for every rule of
        every return, so looked up, not searched for."""
        return self._by_id.get(item_id)

    def item(self, item_id: str) -> Item:
        found = self.find(item_id)
        if found is None:
            raise KeyError(item_id)
        return found

    def label_of(self, item_id: str) -> str:
        """The label of a question or of a worked-out value, as findings name it."""
        found = self.find(item_id) or next(c for c in self.computed if c.id == item_id)
        return found.label

    def asked_in(self, workbook: str) -> Form:
        """This form as the kind of workbook ``workbook`` asks it: without the questions (or table columns) that only
        other kinds ask (``only_in``), such as the annual review's in a proposal, nor the rules and worked-out values
        that use them."""
        def asked(item: Field | Table) -> bool:
            return not item.only_in or workbook in item.only_in

        gone = {i.id for i in self.items() if not asked(i)}
        gone |= {f"{t.id}.{c.id}" for t in self.items() if isinstance(t, Table) for c in t.columns if not asked(c)}
        if not gone:
            return self

        def uses_gone(refs: Iterable[str | None]) -> bool:
            return any(ref and ":" not in ref and (ref in gone or ref.partition(".")[0] in gone) for ref in refs)

        def kept(item: Item) -> Item:
            if isinstance(item, Table):
                return replace(item, columns=tuple(c for c in item.columns if f"{item.id}.{c.id}" not in gone))
            return item

        computed = []
        for comp in self.computed:
            if uses_gone((comp.field, *comp.fields)):
                gone.add(comp.id)
            else:
                computed.append(comp)
        sections = tuple(Section(s.title, items) for s in self.sections
                         if (items := tuple(kept(i) for i in s.items if i.id not in gone)))
        rules = tuple(r for r in self.rules if not uses_gone(r.refs()))
        return replace(self, sections=sections, rules=rules, computed=tuple(computed))


@dataclass(frozen=True)
class WorkbookKind:
    id: str
    title: str
    forms: tuple[Form, ...]
    steps: tuple[str, ...] = ()  # what the Start here sheet asks; {mio_name}, {mio_email}, {deadline}


@dataclass(frozen=True)
class Spec:
    """Every form and every kind of workbook, as loaded from one templates folder."""

    forms: dict[str, Form]
    workbooks: dict[str, WorkbookKind]
    folder: Path

    def form(self, form_id: str) -> Form:
        return self.forms[form_id]

    def ordered_forms(self) -> list[Form]:
        """Every form, whole, in the order of the annual workbook, then any others: the order a reader expects."""
        first = [self.forms[f.id] for f in self.workbooks["annual"].forms]
        return first + [f for f in self.forms.values() if f not in first]


# ---------------------------------------------------------------- loading


class _Reader:
    """Reads one mapping from a definition file, naming the file and the place on every error."""

    def __init__(self, path: Path, where: str, data: Any):
        if not isinstance(data, dict):
            raise DefinitionError(path, where, f"expected a block of 'key: value' lines, found {data!r}")
        self.path, self.where, self.data = path, where, data

    def fail(self, problem: str) -> DefinitionError:
        return DefinitionError(self.path, self.where, problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., ) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(f"'{key}' is missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
            raise self.fail(_wrong_kind(f"'{key}'", kind, value))
        return value

    def ident(self, pattern: re.Pattern[str] = ID_PATTERN) -> str:
        value = self.get("id", str)
        if not pattern.fullmatch(value):
            raise self.fail(
                f"id {value!r} should start with a lower-case letter and use only a-z, 0-9"
                + (" and _" if pattern is ID_PATTERN else "") + f" ({pattern.pattern})"
            )
        return value

    def only(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.data) - allowed)
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a block of keys"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _wrong_kind(what: str, kind: type | tuple[type, ...], value: Any) -> str:
    """Say what ``what`` should be; a value that would do as text is to be quoted."""
    if value is None:
        return f"{what} is empty; it should be {_kind_name(kind)}"
    problem = f"{what} should be {_kind_name(kind)}, found {value!r}"
    if str in _as_tuple(kind) and isinstance(value, (bool, int, float)):
        problem += ' (put it in quotes, such as "…", to keep it as text)'
    elif str in _as_tuple(kind) and isinstance(value, dict):
        problem += " (a colon followed by a space starts a key: put the whole text in quotes)"
    return problem


_FIELD_KEYS = {"id", "label", "type", "help", "required", "choices", "choices_from", "min", "max",
               "max_length", "register", "only_in"}
_TABLE_KEYS = {"id", "label", "type", "help", "rows", "min_rows", "columns", "register",
               "row_header", "text_header", "only_in"}


def _field(path: Path, where: str, data: Any) -> Field:
    r = _Reader(path, where, data)
    fid = r.ident()
    r.where = f"{where} '{fid}'"
    r.only(_FIELD_KEYS)
    ftype = r.get("type", str)
    if ftype not in TYPES:
        raise r.fail(f"unknown type {ftype!r}; the types are {', '.join(sorted(TYPES))}")
    choices, choice_help = _choices(r)
    source = r.get("choices_from", str, None)
    if ftype == "choice":
        if not choices and not source:
            raise r.fail("a choice field needs 'choices' (a list) or 'choices_from'")
        if choices and source:
            raise r.fail("a choice field has either 'choices' (a list) or 'choices_from', not both")
        if source and source not in CHOICE_SOURCES:
            raise r.fail(f"choices_from {source!r} is not known; use one of {', '.join(sorted(CHOICE_SOURCES))}")
    elif "choices" in r.data or "choices_from" in r.data:
        raise r.fail(f"only a choice field has choices, and this one is of type {ftype!r}")
    lo, hi = r.get("min", (int, float), None), r.get("max", (int, float), None)
    if lo is not None and hi is not None and lo > hi:
        raise r.fail(f"min {lo} is greater than max {hi}")
    max_length = r.get("max_length", int, None)
    if max_length is not None and max_length < 1:
        raise r.fail(f"max_length should be 1 or more, found {max_length}")
    return Field(
        id=fid, label=r.get("label", str), type=ftype, help=r.get("help", str, ""),
        required=r.get("required", bool, False), choices=choices, choices_from=source,
        min=lo, max=hi, max_length=max_length, register=r.get("register", str, None), choice_help=choice_help,
        only_in=_only_in(r),
    )


def _only_in(r: _Reader) -> tuple[str, ...]:
    """The kinds of workbook that ask a question (checked against workbook.yaml once it is read)."""
    kinds = r.get("only_in", list, [])
    if "only_in" in r.data and not kinds:
        raise r.fail("'only_in' is an empty list: leave it out for a question every workbook asks")
    for i, kind in enumerate(kinds):
        if not isinstance(kind, str):
            raise r.fail(_wrong_kind(f"item {i + 1} of 'only_in'", str, kind))
    return tuple(kinds)


def _choices(r: _Reader) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A choice list, each answer the text written (the loader keeps ``10`` or ``1.50`` as text), and what the
    choices given as ``{label: …, help: …}`` mean."""
    raw = r.get("choices", list, [])
    if "choices" in r.data and not raw:
        raise r.fail("'choices' is an empty list")
    labels: list[str] = []
    meanings: list[tuple[str, str]] = []
    for i, choice in enumerate(raw):
        if isinstance(choice, dict):
            c = _Reader(r.path, f"{r.where} choice {i + 1}", choice)
            c.only({"label", "help"})
            choice = c.get("label", str)
            meanings.append((choice, c.get("help", str)))
        if not isinstance(choice, str):
            raise r.fail(_wrong_kind(f"choice {i + 1}", str, choice))
        if not choice.strip():
            raise r.fail(f"choice {i + 1} is empty")
        labels.append(choice)
    if len({c.casefold() for c in labels}) != len(labels):
        raise r.fail("the same choice is listed twice")
    return tuple(labels), tuple(meanings)


def _table(path: Path, where: str, data: dict[str, Any]) -> Table:
    r = _Reader(path, where, data)
    tid = r.ident()
    r.where = f"{where} '{tid}'"
    r.only(_TABLE_KEYS)
    raw_columns = r.get("columns", list)
    if not raw_columns:
        raise r.fail("a table needs at least one column")
    columns = tuple(_field(path, f"{r.where} column {i + 1}", c) for i, c in enumerate(raw_columns))
    _unique(r, [c.id for c in columns], "column id")
    raw_rows = r.get("rows", (int, list))
    rows: int | tuple[FixedRow, ...]
    if isinstance(raw_rows, int):
        if not 1 <= raw_rows <= 200:
            raise r.fail("rows should be between 1 and 200")
        rows = raw_rows
    else:
        rows = tuple(_fixed_row(path, f"{r.where} row {i + 1}", row) for i, row in enumerate(raw_rows))
        _unique(r, [row.id for row in rows], "row id")
    min_rows = r.get("min_rows", int, 0)
    if min_rows < 0:
        raise r.fail(f"min_rows should be 0 or more, found {min_rows}")
    if isinstance(rows, int) and min_rows > rows:
        raise r.fail(f"min_rows {min_rows} is more than rows {rows}")
    return Table(
        id=tid, label=r.get("label", str), columns=columns, rows=rows, help=r.get("help", str, ""),
        min_rows=min_rows, register=r.get("register", str, None),
        row_header=r.get("row_header", str, ""), text_header=r.get("text_header", str, ""), only_in=_only_in(r),
    )


def _fixed_row(path: Path, where: str, data: Any) -> FixedRow:
    r = _Reader(path, where, data)
    r.only({"id", "label", "text"})
    return FixedRow(id=r.ident(), label=r.get("label", str), text=r.get("text", str, ""))


def _unique(r: _Reader, ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise r.fail(f"duplicate {what} {i!r}")
        seen.add(i)


def _item(path: Path, where: str, data: Any) -> Item:
    if isinstance(data, dict) and data.get("type") == TABLE:
        return _table(path, where, data)
    return _field(path, where, data)


def _condition(path: Path, where: str, raw: Any, *, answered: bool = False) -> tuple[str | None, str | None]:
    """``{field: …, equals: …}``; with ``answered``, ``equals`` may be left out: the condition is then that the
    field is answered at all (None)."""
    if raw is None:
        return None, None
    w = _Reader(path, where, raw)
    w.only({"field", "equals"})
    if answered and "equals" not in w.data:
        return w.get("field", str), None
    return w.get("field", str), str(w.get("equals", (str, int, float)))


def _rule(path: Path, where: str, data: Any) -> Rule:
    r = _Reader(path, where, data)
    r.only({"kind", "field", "other", "when", "equals", "message", "severity", "code", "months", "months_from", "unless",
            "title", "by", "setting"})
    kind = r.get("kind", str)
    if kind not in RULE_KINDS:
        raise r.fail(f"unknown rule kind {kind!r}; the kinds are {', '.join(sorted(RULE_KINDS))}")
    when_field, when_equals = _condition(path, f"{where} 'when'", r.get("when", dict, None))
    unless_field, unless_equals = _condition(path, f"{where} 'unless'", r.get("unless", dict, None), answered=True)
    code, severity = RULE_DEFAULTS[kind]
    rule = Rule(
        kind=kind, field=r.get("field", str), message=r.get("message", str), code=r.get("code", str, code),
        severity=r.get("severity", str, severity), other=r.get("other", str, None),
        when_field=when_field, when_equals=when_equals, equals=r.get("equals", str, None),
        months=r.get("months", int, None), months_from=r.get("months_from", str, None),
        unless_field=unless_field, unless_equals=unless_equals,
        title=r.get("title", str, "") or r.get("code", str, code).replace("_", " ").capitalize(),
        by=r.get("by", str, None), setting=r.get("setting", str, None),
    )
    if rule.severity not in SEVERITIES:
        raise r.fail(f"severity should be error or warning, found {rule.severity!r}")
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{2,39}", rule.code):
        raise r.fail(f"code {rule.code!r} should be capitals, digits and _, such as REVIEW_OVERDUE")
    if rule.months is not None and rule.months < 1:
        raise r.fail(f"months should be 1 or more, found {rule.months}")
    if rule.months_from and rule.months_from not in MONTHS_FROM:
        raise r.fail(f"months_from {rule.months_from!r} is not a setting; use {', '.join(sorted(MONTHS_FROM))}")
    if rule.setting and rule.setting not in SETTINGS:
        raise r.fail(f"setting {rule.setting!r} is not a setting; use {', '.join(sorted(SETTINGS))}")
    needs = {"not_before": ("other",), "required_if": ("when_field",), "implies": ("when_field", "equals"),
             "flag": ("equals",), "overdue": ("months_from" if rule.months is None else "months",),
             "recent": ("months_from" if rule.months is None else "months",), "accepted": ("by", "setting")}
    for attr in needs.get(kind, ()):
        if getattr(rule, attr) is None:
            article = "an" if kind[0] in "aeiou" else "a"
            raise r.fail(f"{article} {kind} rule needs '{attr.replace('when_field', 'when')}'")
    return rule


def _computed(path: Path, where: str, data: Any) -> Computed:
    r = _Reader(path, where, data)
    r.only({"id", "label", "kind", "field", "fields", "threshold", "fields_from"})
    cid = r.ident()
    kind = r.get("kind", str)
    if kind not in COMPUTED_KINDS:
        raise r.fail(f"unknown computed kind {kind!r}; the kinds are {', '.join(sorted(COMPUTED_KINDS))}")
    fields = r.get("fields", list, [])
    for i, ref in enumerate(fields):
        if not isinstance(ref, str):
            raise r.fail(_wrong_kind(f"item {i + 1} of 'fields'", str, ref))
    computed = Computed(
        id=cid, label=r.get("label", str), kind=kind, field=r.get("field", str, None),
        fields=tuple(fields), threshold=r.get("threshold", str, None), fields_from=r.get("fields_from", str, None),
    )
    if kind == "at_least" and not (computed.field and computed.threshold):
        raise r.fail("an at_least value needs 'field' and 'threshold'")
    if computed.threshold is not None and computed.threshold not in THRESHOLDS:
        raise r.fail(f"threshold {computed.threshold!r} is not a setting; use {', '.join(sorted(THRESHOLDS))}")
    if kind == "any_yes" and bool(computed.fields) == bool(computed.fields_from):
        raise r.fail("an any_yes value needs 'fields' or 'fields_from' (one of them)")
    if computed.fields_from is not None and computed.fields_from not in FIELDS_FROM:
        raise r.fail(f"fields_from {computed.fields_from!r} is not a setting; use {', '.join(sorted(FIELDS_FROM))}")
    return computed


_FORM_KEYS = {"id", "version", "title", "sheet", "source", "intro", "sections", "rules", "computed"}
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\']")


_TAG = "tag:yaml.org,2002:"
_AS_WRITTEN = {"choices", "equals"}  # answers offered or compared: 1.50 stays "1.50", 007 stays "007"


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark):
        super().__init__(None, None, f"{key!r} is given twice", again)
        self.key, self.first = key, first


class _StrictLoader(_SafeLoader):
    """PyYAML's safe loader, made strict for files a council edits by hand.

    * A key given twice in one block is an error (PyYAML would keep the second silently).
    * Plain values are read by the YAML 1.2 core schema, as editors read them: only ``true`` and
      ``false`` (any case) are booleans, so ``No``, ``yes``, ``on`` and ``n`` stay the text written;
      ``2024-01-01`` stays text, never a date; numbers are decimal (``010`` is ten), ``0o`` octal or
      ``0x`` hex, never sexagesimal (``1:30`` is text).
    * ``choices`` and ``equals`` values are answers, so a number there keeps the text written.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # this class's own, filled below: not YAML 1.1's

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Mark] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                    continue
                key = self.construct_object(key_node)  # a scalar is built at once, and kept for the mapping
                if key in seen:
                    raise _DuplicateKey(key, seen[key], key_node.start_mark)
                seen[key] = key_node.start_mark
                if key in _AS_WRITTEN:
                    for scalar in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                        if isinstance(scalar, yaml.ScalarNode) and scalar.tag in (_TAG + "int", _TAG + "float"):
                            scalar.tag = _TAG + "str"
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = self.construct_scalar(node)
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        return int(text[2:] if base != 10 else text, base)


for _tag, _pattern, _first in (  # the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"(?i:true|false)", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
     list("-+0123456789.")),
    ("merge", r"<<", ["<"]),  # `<<: *block` copies a block, as in PyYAML
):
    _StrictLoader.add_implicit_resolver(_TAG + _tag, re.compile(rf"^(?:{_pattern})$"), _first)
_StrictLoader.add_constructor(_TAG + "int", _StrictLoader.construct_yaml_int)
_YAML_LOADER = _StrictLoader


MAX_DEFINITION_BYTES = 2 << 20  # the largest shipped form is 20 KB
MAX_DEFINITION_NODES = 100_000  # values once every alias is unfolded; the largest shipped form has 837


class _TooBig(yaml.YAMLError):
    """A definition that unfolds, through anchors and aliases, into more than a form can hold (a "billion laughs")."""


def _unfolded(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for once its aliases are copied out, counted once per distinct node (so in
    time linear in the file), stopping as soon as the count passes MAX_DEFINITION_NODES or a node holds itself."""
    if id(node) in sizes:
        if sizes[id(node)] < 0:
            raise _TooBig("an anchor is used inside itself (*alias within its own &anchor)")
        return sizes[id(node)]
    sizes[id(node)] = -1
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    total = 1
    for child in children:
        total += _unfolded(child, sizes)
        if total > MAX_DEFINITION_NODES:
            raise _TooBig(f"its anchors and aliases (& and *) unfold into more than {MAX_DEFINITION_NODES:,} values")
    sizes[id(node)] = total
    return total


def _compose(path: Path) -> Any:
    """The file's data, refusing before anything is built what no form needs: a file over MAX_DEFINITION_BYTES, or
    aliases that unfold past MAX_DEFINITION_NODES (PyYAML shares an alias's node, so loading a "billion laughs" is
    quick, but every walk over the result - ours, or printing it - would take for ever)."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_DEFINITION_BYTES + 1)
    if len(raw) > MAX_DEFINITION_BYTES:
        raise _TooBig(f"it is larger than {MAX_DEFINITION_BYTES >> 20} MB, far more than any form needs")
    loader = _YAML_LOADER(raw.decode("utf-8"))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _unfolded(node, {})
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _load_yaml(path: Path) -> Any:
    try:
        return _compose(path)
    except OSError as exc:
        raise DefinitionError(path, "the file", f"cannot be read ({exc.strerror or exc})") from None
    except _TooBig as exc:
        raise DefinitionError(path, "the file", f"is refused: {exc}; write each value out, or use fewer aliases") from None
    except RecursionError:
        raise DefinitionError(path, "the file", "is nested too deeply to be a form (lists within lists hundreds deep)") from None
    except UnicodeDecodeError as exc:
        raise DefinitionError(path, "the file", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except _DuplicateKey as exc:
        assert exc.problem_mark is not None
        first, again = exc.first.line + 1, exc.problem_mark.line + 1
        raise DefinitionError(path, f"line {again}", f"{exc.key!r} is given twice in the same block (also on line {first}); "
                                                     "delete one, or indent it if it belongs to another field") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise DefinitionError(path, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})") from None


def load_form(path: Path) -> Form:
    r = _Reader(path, "the form", _load_yaml(path))
    r.only(_FORM_KEYS)
    form_id = r.ident(FORM_ID_PATTERN)
    if form_id in RESERVED_FORM_IDS:
        raise r.fail(f"the form id {form_id!r} is reserved")
    version = r.get("version", int)
    if version < 1:
        raise r.fail(f"version should be 1 or more, found {version}")
    sheet = r.get("sheet", str)
    if not 1 <= len(sheet) <= 31 or _SHEET_NAME_BAD.search(sheet):
        raise r.fail(f"sheet name {sheet!r} must be 1–31 characters without [ ] : * ? / \\ or '")
    sections = []
    for i, raw in enumerate(r.get("sections", list)):
        s = _Reader(path, f"section {i + 1}", raw)
        s.only({"title", "fields"})
        title = s.get("title", str)
        items = tuple(_item(path, f"section '{title}' field", f) for f in s.get("fields", list))
        sections.append(Section(title=title, items=items))
    form = Form(
        id=form_id, version=version, title=r.get("title", str), sheet=sheet,
        source=r.get("source", str, ""), intro=r.get("intro", str, ""), sections=tuple(sections),
        rules=tuple(_rule(path, f"rule {i + 1}", x) for i, x in enumerate(r.get("rules", list, []))),
        computed=tuple(_computed(path, f"computed {i + 1}", x) for i, x in enumerate(r.get("computed", list, []))),
        path=path,
    )
    _unique(r, [i.id for i in form.items()] + [c.id for c in form.computed], "field id")
    return form


def load_spec(folder: Path | None = None) -> Spec:
    """Load and cross-check every definition in ``folder`` (the shipped templates by default)."""
    folder = Path(folder) if folder else TEMPLATES_DIR
    if not folder.is_dir():
        raise DefinitionError(folder, "the folder", "does not exist")
    forms: dict[str, Form] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "workbook.yaml":
            continue
        form = load_form(path)
        if form.id in forms:
            raise DefinitionError(path, f"the form '{form.id}'", f"has the same id as {forms[form.id].path.name}")
        forms[form.id] = form
    _check_sheets(forms)
    _check_contract(forms, folder)
    for form in forms.values():
        _check_references(form, forms)
    return Spec(forms=forms, workbooks=_load_workbooks(folder / "workbook.yaml", forms), folder=folder)


def _check_contract(forms: dict[str, Form], folder: Path) -> None:
    """Every field partxl's code relies on (``partxl.forms.contract``) is there, of its type, with its labels."""
    for need in contract.NEEDED:
        form = forms.get(need.form)
        if form is None:
            raise DefinitionError(folder / f"{need.form}.yaml", "the folder",
                                  f"has no form with id '{need.form}', which partxl needs for {need.purpose}")
        problem = _breaks_contract(form, need)
        if problem:
            raise DefinitionError(form.path, f"field '{need.id}'", f"{problem}: partxl relies on it for {need.purpose}. "
                                  "Keep its id, type and these labels (you may reword its label and help, and add choices)")


def _breaks_contract(form: Form, need: contract.Needed) -> str | None:
    if need.types == ("computed",):
        return None if any(c.id == need.id for c in form.computed) else "this worked-out value is missing"
    item = form.find(need.id)
    if item is None:
        return "this field is missing (was it renamed or deleted?)"
    if item.type not in need.types:
        return f"it is of type '{item.type}', not {' or '.join(repr(t) for t in need.types)}"
    if isinstance(item, Table):
        if need.fixed is not None and item.fixed != need.fixed:
            return "its rows should be " + ("listed (rows: with ids)" if need.fixed else "a number (rows: 6)")
        for column_id, types in need.columns.items():
            column = next((c for c in item.columns if c.id == column_id), None)
            if column is None or column.type not in types:
                return f"it needs a column '{column_id}' of type {' or '.join(repr(t) for t in types)}"
        return None
    missing = [c for c in need.choices if c not in item.choices] if not item.choices_from else []
    return f"its choices no longer include {', '.join(repr(c) for c in missing)}" if missing else None


def _check_sheets(forms: dict[str, Form]) -> None:
    seen: dict[str, Form] = {}
    for form in forms.values():
        key = form.sheet.casefold()
        if key in seen:
            raise DefinitionError(form.path, f"the form '{form.id}'", f"uses sheet name {form.sheet!r} as {seen[key].path.name} does")
        seen[key] = form


def resolve(form: Form, forms: dict[str, Form], ref: str) -> tuple[Form, Field | Table, Field | None]:
    """Find what a rule refers to: ``name``, ``table.column`` or ``form:name``."""
    target = form
    if ":" in ref:
        form_id, ref = ref.split(":", 1)
        if form_id not in forms:
            raise KeyError(f"no form {form_id!r}")
        target = forms[form_id]
    item_id, _, column_id = ref.partition(".")
    item = target.find(item_id)
    if item is None:
        raise KeyError(f"no field {item_id!r} in form '{target.id}'")
    if column_id:
        if not isinstance(item, Table):
            raise KeyError(f"{item_id!r} is not a table")
        try:
            return target, item, item.column(column_id)
        except StopIteration:
            raise KeyError(f"no column {column_id!r} in table {item_id!r}") from None
    if isinstance(item, Table):
        raise KeyError(f"{item_id!r} is a table: name one of its columns as {item_id}.column")
    return target, item, None


def _worked_out(form: Form, forms: dict[str, Form], ref: str) -> bool:
    """Whether ``ref`` names a worked-out value (``significant``, or ``significance:significant``) a rule may use."""
    form_id, _, name = ref.rpartition(":")
    target = forms.get(form_id) if form_id else form
    return target is not None and any(c.id == name for c in target.computed)


def _check_references(form: Form, forms: dict[str, Form]) -> None:
    for i, rule in enumerate(form.rules):
        for ref in rule.refs():
            if _worked_out(form, forms, ref):
                continue
            try:
                resolve(form, forms, ref)
            except KeyError as exc:
                where = f"rule {i + 1} ({rule.kind} on '{rule.field}')"
                raise DefinitionError(form.path, where, f"refers to {ref!r}: {exc.args[0]}") from None
    known: set[str] = set()  # a computed value may use those computed before it
    for comp in form.computed:
        for ref in filter(None, (comp.field, *comp.fields)):
            if ref in known:
                continue
            try:
                resolve(form, forms, ref)
            except KeyError as exc:
                raise DefinitionError(form.path, f"computed '{comp.id}'", f"refers to {ref!r}: {exc.args[0]}") from None
        known.add(comp.id)


def _load_workbooks(path: Path, forms: dict[str, Form]) -> dict[str, WorkbookKind]:
    if not path.is_file():
        raise DefinitionError(path, "the folder", "needs a workbook.yaml listing the forms of each workbook")
    r = _Reader(path, "the file", _load_yaml(path))
    r.only({"workbooks"})
    kinds: dict[str, WorkbookKind] = {}
    for kind_id, raw in r.get("workbooks", dict).items():
        k = _Reader(path, f"workbook '{kind_id}'", raw)
        k.only({"title", "forms", "steps"})
        ids = k.get("forms", list)
        for form_id in ids:
            if not isinstance(form_id, str) or form_id not in forms:
                raise k.fail(f"lists form {form_id!r}, but no definition file has that id")
        _unique(k, ids, "form")
        steps = k.get("steps", list, [])
        for i, step in enumerate(steps):
            if not isinstance(step, str):
                raise k.fail(_wrong_kind(f"step {i + 1}", str, step))
            try:
                step.format(mio_name="", mio_email="", deadline="")
            except (KeyError, IndexError, ValueError) as exc:
                raise k.fail(f"step {step[:40]!r}… uses an unknown placeholder ({exc}); "
                             "use {mio_name}, {mio_email} or {deadline}") from None
        kinds[kind_id] = WorkbookKind(id=kind_id, title=k.get("title", str), forms=tuple(forms[f].asked_in(kind_id) for f in ids),
                                      steps=tuple(steps))
    for needed in ("annual", "proposal", "ended"):
        if needed not in kinds:
            raise r.fail(f"needs a workbook '{needed}'")
    _check_only_in(forms, kinds)
    return kinds


def _check_only_in(forms: dict[str, Form], kinds: dict[str, WorkbookKind]) -> None:
    """Every ``only_in`` names a kind of workbook that workbook.yaml has."""
    for form in forms.values():
        asked = [(i, i.id) for i in form.items()]
        asked += [(c, f"{t.id}.{c.id}") for t in form.items() if isinstance(t, Table) for c in t.columns]
        for item, where in asked:
            unknown = [k for k in item.only_in if k not in kinds]
            if unknown:
                raise DefinitionError(form.path, f"field '{where}'", f"only_in names {', '.join(map(repr, unknown))}, which "
                                      f"workbook.yaml does not have; the kinds are {', '.join(sorted(kinds))}")


def check_settings(spec: Spec, config: Config) -> None:
    """The settings that name answers of the forms ([policy] significant_if and agreement_types) name answers that are
    there: a typo is a ConfigError naming the key, before a workbook is written or read, never a silent mismatch.
    Every such problem is said at once."""
    problems = Problems(config.source or DEFAULTS_PATH)
    significance = spec.form(contract.SIGNIFICANT.form)
    earlier = [c.id for c in significance.computed[:[c.id for c in significance.computed].index(contract.SIGNIFICANT.id)]]
    answers = [i.id for i in significance.items() if isinstance(i, Field) and i.type == "yesno"] + earlier
    for name in config.significant_if:
        if name not in answers:
            problems.add(f"[policy] significant_if names {name!r}, which is not a Yes/No answer of the "
                          f"Significance sheet; the answers are {', '.join(answers)}")
    categories = _choices_of(spec, contract.CATEGORY)
    types = _choices_of(spec, contract.AGREEMENT_TYPE)
    for category, accepted in config.agreement_types:
        if category not in categories:
            problems.add(f"[policy] agreement_types names the category {category!r}, which is not one of "
                          f"the Information sheet's: {', '.join(categories)}")
        unknown = [t for t in accepted if t not in types]
        if unknown:
            problems.add(f"[policy] agreement_types lists {', '.join(map(repr, unknown))} for {category!r}, "
                          f"not a type of agreement the Information sheet offers: {', '.join(types)}")
    problems.raise_any()


def _choices_of(spec: Spec, need: contract.Needed) -> tuple[str, ...]:
    item = spec.form(need.form).item(need.id)
    return item.choices if isinstance(item, Field) else ()
