"""Excel's day numbers (the 1900 date system): the one place that turns a date into a serial and back.

Excel counts 1 January 1900 as day 1 and, for Lotus 1-2-3's sake, a 29 February 1900 that never was as day
60; so from 1 March 1900 a serial is one more than the days since 30 December 1899, and before it, the days
since 31 December 1899. Dates before 1900 have no serial at all (Excel keeps them as text). LibreOffice counts no
phantom day: in an .xlsx it reads (and writes) a serial before 61 as the day before Excel's, so a date before
1 March 1900 that partxl writes is written as text, which both show alike (see ``agreed_serial``), and an .xlsx
LibreOffice saved is read as LibreOffice showed it (see ``as_libreoffice_showed``). xlsxwriter's own
conversion writes 1 January 1900 at midnight as 0, taking it for a time of day alone, which every reader then
shows as no date: so partxl works the serial out here, for the register, the workbooks and the validation
bounds alike, and reads a serial back with the same rule.
"""

from __future__ import annotations

import datetime as dt

FIRST_DAY = dt.date(1900, 1, 1)  # serial 1: the first day Excel has
PHANTOM_LEAP_DAY = 60  # Excel's 29 February 1900: a serial with no date behind it
AGREED_FROM = dt.date(1900, 3, 1)  # from this day on, Excel and LibreOffice read a serial as the same day
_DAY_ZERO = dt.datetime(1899, 12, 31)


def serial(moment: dt.date | dt.datetime) -> float | None:
    """Excel's serial of a date (a whole number) or a date and time (with the time as a fraction of the day); None
    before 1 January 1900, which Excel cannot hold as a date. A time zone is dropped, as Excel has none."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    days = (moment.replace(tzinfo=None) - _DAY_ZERO) / dt.timedelta(days=1)
    if days < 1:
        return None
    days = days + 1 if days >= PHANTOM_LEAP_DAY else days
    return int(days) if days.is_integer() else days


def day_of(number: int) -> dt.date | None:
    """The date Excel shows for a whole serial; None for 60 (Excel's 29 February 1900, no date) and below 1."""
    if number < 1 or number == PHANTOM_LEAP_DAY:
        return None
    return (_DAY_ZERO + dt.timedelta(days=number - (number > PHANTOM_LEAP_DAY))).date()


def agreed_serial(moment: dt.date | dt.datetime) -> float | None:
    """The serial of a day that Excel and LibreOffice both show as that day (from 1 March 1900); None before, where
    the two are a day apart (the date is then written as text, which both show alike)."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return serial(moment) if day >= AGREED_FROM else None


def as_libreoffice_showed(value: object) -> object:
    """A date calamine read (by Excel's count) from an .xlsx LibreOffice saved, as LibreOffice showed it: before
    1 March 1900 LibreOffice wrote its own serial, one more than Excel's for the same day, so the day is one earlier.
    calamine reads serials 59 and 60 both as 28 February 1900 (LibreOffice's 27th and 28th): that one day stays."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if FIRST_DAY <= day < dt.date(1900, 2, 28):
            return value - dt.timedelta(days=1)
    return value
