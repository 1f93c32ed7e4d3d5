"""The table of field types: how each type is formatted, validated in Excel, read back and bounded.

Every stage looks a type up here, so a type's behaviour is described once: generation asks a
type for its Excel validation (:meth:`FieldType.validation`), reading asks it to read what was
typed (:meth:`FieldType.read`), and both take their bounds — the longest text, the smallest and
largest number, the earliest and latest date — from the same :meth:`FieldType.bounds`, so Excel
and ingest cannot disagree.

Reading is deliberately forgiving about what people type (``£1,200``, ``1 April 2024``, ``yes ``)
but never guesses: anything it cannot read raises :class:`Unreadable` with a hint saying what
would be right; a value of the right type that the field does not allow raises :class:`Refused`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from partxl.dates import FIRST_DAY, PHANTOM_LEAP_DAY, day_of
from partxl.dates import serial as excel_serial

DATE_MIN = FIRST_DAY
DATE_MAX = dt.date(2100, 12, 31)
MONEY_MAX = 1_000_000_000_000
INTEGER_MAX = 1_000_000_000
TEXT_LIMIT = 255  # a text field with no max_length: what Excel's validation allows, and ingest too
EXCEL_CELL_LIMIT = 32_767  # the most characters a cell holds
YES, NO = "Yes", "No"


class FieldLike(Protocol):
    """What a type needs of a field (``partxl.forms.definitions.Field``): its label, help and limits."""

    @property
    def label(self) -> str: ...
    @property
    def help(self) -> str: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def max_length(self) -> int | None: ...


class Unreadable(ValueError):
    """A value that cannot be read as its field's type; ``hint`` says what would be right."""

    def __init__(self, hint: str):
        super().__init__(hint)
        self.hint = hint


class Refused(ValueError):
    """A value of the right type that its field does not allow: ``code`` names the finding, ``params`` fill its message."""

    def __init__(self, code: str, hint: str, **params: Any):
        super().__init__(code)
        self.code, self.hint, self.params = code, hint, params


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return re.sub(r"[ \t]+", " ", str(value)).strip()


_UNTIDY = re.compile(r"[ \t]{2}|[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def parse_text(value: Any) -> str:
    """Text keeps its line breaks; runs of spaces and surrounding blanks are dropped."""
    if isinstance(value, str) and not _UNTIDY.search(value):
        return value.strip()  # the common case, read thousands of times a run
    return "\n".join(line.strip() for line in _text(value).splitlines()).strip()


_DATE_FORMATS = (
    "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d",
    "%d %B %Y", "%d %b %Y", "%d %B, %Y", "%B %d, %Y", "%b %d, %Y",
    "%A %d %B %Y", "%a %d %b %Y",
)
_ORDINAL = re.compile(r"(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
_LAST_SERIAL = (DATE_MAX - DATE_MIN).days + 2  # 1 January 1900 is 1, and Excel counts a 29 February 1900


def parse_date(value: Any) -> dt.date:
    """Dates as typed in the UK; never two-digit years or month-first numbers, which are ambiguous."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        day = day_of(int(value)) if 1 <= value <= _LAST_SERIAL and float(value).is_integer() else None
        if day is not None:
            return day
        if value == PHANTOM_LEAP_DAY:  # Excel shows it as 29/02/1900, a day that never was: not to be guessed
            raise Unreadable("a date that exists: Excel shows 29/02/1900, but 1900 was not a leap year")
        raise Unreadable("a date such as 31/03/2025")
    text = _ORDINAL.sub(r"\1", _text(value)).replace("Sept ", "Sep ")
    text = re.sub(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed.year >= 1000:
            return parsed
    raise Unreadable("a date written day/month/year with a four-digit year, such as 31/03/2025")


_MONEY_NOISE = re.compile(r"^(gbp|£)|(gbp|£)$|,|\s", re.IGNORECASE)


def parse_money(value: Any) -> float:
    """Pounds: numbers, or text with £, GBP, thousands separators and spaces."""
    if isinstance(value, bool):
        raise Unreadable("an amount in pounds such as 12500 or £12,500")
    if isinstance(value, (int, float)):
        return float(value)
    text = _text(value)
    stripped = _MONEY_NOISE.sub("", text)
    if re.fullmatch(r"-?\d+(\.\d{1,2})?", stripped):
        return float(stripped)
    raise Unreadable("an amount in pounds such as 12500 or £12,500")


def parse_integer(value: Any) -> int:
    """Whole numbers, including ones a spreadsheet stored as 3.0 or as the text '3'."""
    if isinstance(value, bool):
        raise Unreadable("a whole number")
    if isinstance(value, (int, float)) and float(value).is_integer():
        return int(value)
    text = _text(value).replace(",", "")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise Unreadable("a whole number")


_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}


def parse_yesno(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    key = _text(value).lower().rstrip(".")
    if key in _YES:
        return YES
    if key in _NO:
        return NO
    raise Unreadable("Yes or No")


def parse_score(value: Any) -> int:
    score = parse_integer(value)
    if not 1 <= score <= 4:
        raise Unreadable("a score of 1, 2, 3 or 4")
    return score


def serial(day: dt.date) -> int:
    """Excel's day number of a date from 1900 on (xlsxwriter converts a date bound only when the other bound is a
    date too, and takes 1 January 1900 for a time of day: see partxl.dates)."""
    number = excel_serial(day)
    assert number is not None, day  # the bounds are from DATE_MIN on
    return int(number)


def clip(text: str, limit: int) -> str:
    """``text`` on one line, shortened with an ellipsis to fit Excel's limit for a validation message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pounds(value: float) -> str:
    """An amount as people read it, never rounded: £100,000 when whole, £99,999.99 when not."""
    return f"£{value:,.0f}" if float(value).is_integer() else f"£{value:,.2f}"


def _shown(kind: str, value: Any) -> str:
    if kind == "money":
        return pounds(value)
    if kind == "date":
        return f"{value:%d/%m/%Y}"
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


@dataclass(frozen=True)
class FieldType:
    """How one type of field is written, checked by Excel, read back and bounded."""

    name: str
    num_format: str | None
    width: int
    parse: Callable[[Any], Any]
    excel: str  # the kind of Excel validation: length, date, decimal, integer or list
    tall: bool = False  # gets a taller row for long answers

    def bounds(self, fld: FieldLike) -> tuple[Any, Any] | None:
        """The least and greatest value the field allows (characters, for text); None when a list decides."""
        if self.excel == "length":
            default = TEXT_LIMIT if self.name == "text" else EXCEL_CELL_LIMIT
            return 0, min(fld.max_length or default, EXCEL_CELL_LIMIT)
        if self.name == "date":
            return DATE_MIN, DATE_MAX
        if self.name == "score":
            return 1, 4
        if self.excel in ("decimal", "integer"):
            top = MONEY_MAX if self.name == "money" else INTEGER_MAX
            return (fld.min if fld.min is not None else 0), (fld.max if fld.max is not None else top)
        return None

    def right(self, fld: FieldLike) -> str:
        """What a right answer looks like, for error alerts, findings and hints."""
        bounds = self.bounds(fld)
        if self.name == "money" and bounds is not None:
            low, high = bounds
            return f"an amount in pounds of {_shown('money', low)} or more, such as 12500" if high == MONEY_MAX else \
                f"an amount in pounds from {_shown('money', low)} to {_shown('money', high)}"
        if self.name == "integer" and bounds is not None:
            return f"a whole number from {bounds[0]:,} to {bounds[1]:,}"
        if self.excel == "length" and bounds is not None and bounds[1] < EXCEL_CELL_LIMIT:
            return f"text of at most {bounds[1]:,} characters"
        return _RIGHT[self.name]

    def validation(self, fld: FieldLike, *, source: str | None = None, earliest: str | None = None) -> dict[str, Any]:
        """Excel's data validation for an answer cell, as xlsxwriter's options.

        ``source`` is the range of a choice field's list (kept on a hidden sheet: a list typed into the
        rule is capped at 255 characters); ``earliest`` a formula for a date's earliest allowed value.
        """
        rule: dict[str, Any]
        if self.excel == "list":
            rule = {"validate": "list", "source": [YES, NO] if self.name == "yesno" else source}
        elif self.excel == "length":
            rule = {"validate": "length", "criteria": "<=", "value": self._bounds(fld)[1]}
        elif self.excel == "date":
            low, high = self._bounds(fld)
            rule = {"validate": "date", "criteria": "between", "minimum": earliest or serial(low), "maximum": serial(high)}
        else:
            low, high = self._bounds(fld)
            rule = {"validate": self.excel, "criteria": "between", "minimum": low, "maximum": high}
        return {**rule, "input_title": clip(fld.label, 32), "input_message": clip(fld.help or fld.label, 255),
                "error_title": "Please check this answer", "error_type": "stop",
                "error_message": clip(f"{fld.label}: please enter {self.right(fld)}.", 255)}

    def read(self, fld: FieldLike, raw: Any, choices: Sequence[str] = ()) -> Any:
        """The answer ``raw`` as this type, within the field's bounds; a choice as the list spells it.

        Raises :class:`Unreadable` when it is not of the type, :class:`Refused` when the field does not allow it.
        """
        value = self.parse(raw)
        if self.name == "choice":
            match = next((c for c in choices if c.casefold() == str(value).casefold()), None)
            if match is None:
                raise Refused("NOT_A_CHOICE", "Choose one of: " + "; ".join(choices), value=value)
            return match
        bounds = self.bounds(fld)
        if bounds is None:
            return value
        low, high = bounds
        if self.excel == "length":
            if len(value) > high:
                raise Refused("TOO_LONG", "Shorten the answer, or attach the detail to your e-mail.",
                              value=value[:80] + "…", length=len(value), limit=high)
        elif not low <= value <= high:
            raise Refused("OUT_OF_RANGE", f"Enter {self.right(fld)}.", value=_shown(self.name, value),
                          low=_shown(self.name, low), high=_shown(self.name, high))
        return value

    def _bounds(self, fld: FieldLike) -> tuple[Any, Any]:
        bounds = self.bounds(fld)
        assert bounds is not None, f"{self.name} has no bounds"
        return bounds


_RIGHT = {
    "text": "text", "longtext": "text", "date": "a date such as 31/03/2025", "money": "an amount in pounds",
    "integer": "a whole number", "yesno": "Yes or No, chosen from the list", "choice": "one of the answers in the list",
    "score": "a whole number from 1 to 4",
}

TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType("text", None, 40, parse_text, "length"),
        FieldType("longtext", None, 60, parse_text, "length", tall=True),
        FieldType("date", "dd/mm/yyyy", 14, parse_date, "date"),
        FieldType("money", "£#,##0.00", 16, parse_money, "decimal"),
        FieldType("integer", "0", 12, parse_integer, "integer"),
        FieldType("yesno", None, 10, parse_yesno, "list"),
        FieldType("choice", None, 32, parse_text, "list"),
        FieldType("score", "0", 10, parse_score, "integer"),
    )
}
TABLE = "table"
