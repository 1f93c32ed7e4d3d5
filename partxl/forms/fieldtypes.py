"""The table of field types: how each type is formatted, validated in Excel and read back.

Every stage (generate, read, validate) looks a type up here, so a type's behaviour is
described once. Reading is deliberately forgiving about what people type (``£1,200``,
``1 April 2024``, ``yes ``) but never guesses: anything it cannot read raises
:class:`Unreadable` with a hint saying what would be right.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
MONEY_MAX = 1_000_000_000_000
YES, NO = "Yes", "No"
EXCEL_CELL_LIMIT = 32_767


class Unreadable(ValueError):
    """A value that cannot be read as its field's type; ``hint`` says what would be right."""

    def __init__(self, hint: str):
        super().__init__(hint)
        self.hint = hint


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


def parse_date(value: Any) -> dt.date:
    """Dates as typed in the UK; never two-digit years or month-first numbers, which are ambiguous."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= 73_050 and float(value).is_integer():
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
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


@dataclass(frozen=True)
class FieldType:
    """How one type of field is written, checked by Excel and read back."""

    name: str
    num_format: str | None
    width: int
    parse: Callable[[Any], Any]
    right: str  # what a right answer looks like, for error alerts and findings
    tall: bool = False  # gets a taller row for long answers


TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType("text", None, 40, parse_text, "text"),
        FieldType("longtext", None, 60, parse_text, "text", tall=True),
        FieldType("date", "dd/mm/yyyy", 14, parse_date, "a date such as 31/03/2025"),
        FieldType("money", "£#,##0.00", 16, parse_money, "an amount in pounds of 0 or more, such as 12500"),
        FieldType("integer", "0", 12, parse_integer, "a whole number"),
        FieldType("yesno", None, 10, parse_yesno, "Yes or No, chosen from the list"),
        FieldType("choice", None, 32, parse_text, "one of the answers in the list"),
        FieldType("score", "0", 10, parse_score, "a whole number from 1 to 4"),
    )
}
TABLE = "table"
