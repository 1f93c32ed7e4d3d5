"""The lifecycle of a cycle's returns, partnership by partnership, worked out in one place.

A return is received, then rejected (not ours, or unreadable), held (its answers contradict the
identity it was issued with), with errors, or accepted. A partnership's **newest** return this cycle
(the last to arrive: first seen in a later run, or arrived later in the folder within one run; never the date
its workbook says it was saved, which the sender writes) says where the partnership stands: returned, returned with errors, or held.
What the register shows is its newest *accepted* return, which a newer return with errors or a held
one cannot displace: a held return cannot replace an accepted one until the MIO decides, and a resend
with errors leaves the last good answers in place while the officer is asked to correct it.

A return is superseded once a newer return for the same partnership replaces it: an accepted one by a
newer accepted return, one with errors or held by any newer return. The register, the report, the
summary, status and chase all read these states, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from partxl.register.model import ReturnState
from partxl.returns.ledger import Entry
from partxl.returns.results import Outcome

_STATE = {Outcome.ACCEPTED: ReturnState.RETURNED, Outcome.ERRORS: ReturnState.WITH_ERRORS, Outcome.HELD: ReturnState.HELD}
RETURNS = frozenset(_STATE)  # the outcomes of a file that is some partnership's return
TIE_SECONDS = 1.0  # arrivals closer than this cannot be told apart: shares keep times to 2 s, 1 s or finer, copies reset them


@dataclass(frozen=True)
class Settled:
    """Where one partnership's returns this cycle leave it."""

    state: ReturnState  # from its newest return
    newest: Entry  # its newest return
    shown: Entry | None  # its newest accepted return: what the register shows (None: last year's answers)
    replaced: tuple[Entry, ...]  # its returns a newer one superseded


def settle(entries: Iterable[Entry], key: Callable[[Entry], str],
           together: frozenset[str] | set[str] = frozenset()) -> tuple[dict[str, Settled], set[str]]:
    """Each partnership's state (by ``key``), and the SHA-256 of every return a newer one superseded.

    ``entries`` are every return of the cycle, oldest first (as :func:`arrange` leaves them); ``together`` are those
    held because their order cannot be told, which none of the others replaces until the MIO decides.
    """
    by_partnership: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.outcome in RETURNS:
            by_partnership.setdefault(key(entry), []).append(entry)
    settled: dict[str, Settled] = {}
    superseded: set[str] = set()
    for partnership, returns in by_partnership.items():
        newest = returns[-1]
        accepted = [e for e in returns if e.outcome == Outcome.ACCEPTED]
        shown = accepted[-1] if accepted else None
        replaced = tuple(e for e in returns if e is not newest and e is not shown and e.sha256 not in together)
        settled[partnership] = Settled(_STATE[Outcome(newest.outcome)], newest, shown, replaced)
        superseded |= {e.sha256 for e in replaced}
    return settled, superseded


def arrange(entries: Iterable[Entry], key: Callable[[Entry], str], chosen: set[str]) -> tuple[list[Entry], set[str]]:
    """The cycle's returns oldest first (the ledger's order: the run that first saw them, then arrival), and the SHA-256
    of those whose order cannot be told where it matters.

    Two different returns of one partnership first seen in the same run, arriving less than :data:`TIE_SECONDS` apart
    (or without a time), cannot be put in order; when one of them would rule the register (the newest return, or the
    newest accepted one) they are held for the MIO rather than guessed. A return the MIO accepted (in ``chosen``)
    counts as the newest of those it arrived with, so the others give way to it.
    """
    ordered: list[Entry] = []
    by_partnership: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.outcome in RETURNS:
            by_partnership.setdefault(key(entry), []).append(entry)
        else:
            ordered.append(entry)
    tied: set[str] = set()
    for returns in by_partnership.values():
        returns.sort(key=lambda e: (e.first_run, came(e) or _NEVER, e.first_seen, e.sha256))
        groups = _together(returns)
        for group in groups:
            group.sort(key=lambda e: e.sha256 in chosen)  # stable: otherwise as they arrived
        tied |= _unclear(groups, chosen)
        ordered += [e for group in groups for e in group]
    return ordered, tied


def _together(returns: list[Entry]) -> list[list[Entry]]:
    """A partnership's returns, in order, in groups of those that arrived too close together to be told apart."""
    groups: list[list[Entry]] = []
    for entry in returns:
        last = groups[-1][-1] if groups else None
        if last is not None and last.first_run == entry.first_run and last.sha256 != entry.sha256 \
                and _close(came(last), came(entry)):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def came(entry: Entry) -> dt.datetime | None:
    """When a return came (in UTC): when the message it came in was received, else when it landed in the folder."""
    text = entry.received or entry.arrived
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _close(one: dt.datetime | None, other: dt.datetime | None) -> bool:
    return one is None or other is None or abs((one - other).total_seconds()) < TIE_SECONDS


def _unclear(groups: list[list[Entry]], chosen: set[str]) -> set[str]:
    """The returns of groups that decide the register (the newest's; the newest accepted one's) and that the MIO has
    not settled by accepting one of them; a held group's returns no longer count as accepted, so look again."""
    held: set[str] = set()
    while True:
        accepted = [g for g in groups if any(e.outcome == Outcome.ACCEPTED and e.sha256 not in held for e in g)]
        deciding = [groups[-1]] + accepted[-1:]
        more = {e.sha256 for g in deciding if len(g) > 1 and not any(e.sha256 in chosen for e in g) for e in g} - held
        if not more:
            return held
        held |= more
