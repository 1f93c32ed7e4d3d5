"""The lifecycle of a cycle's returns, partnership by partnership, worked out in one place.

A return is received, then rejected (not ours, or unreadable), held (its answers contradict the
identity it was issued with), with errors, or accepted. A partnership's **newest** return this cycle
(by the time it was saved) says where the partnership stands: returned, returned with errors, or held.
What the register shows is its newest *accepted* return, which a newer return with errors or a held
one cannot displace: a held return cannot replace an accepted one until the MIO decides, and a resend
with errors leaves the last good answers in place while the officer is asked to correct it.

A return is superseded once a newer return for the same partnership replaces it: an accepted one by a
newer accepted return, one with errors or held by any newer return. The register, the report, the
summary, status and chase all read these states, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from partxl.register.model import ReturnState
from partxl.returns.ledger import Entry
from partxl.returns.results import Outcome

_STATE = {Outcome.ACCEPTED: ReturnState.RETURNED, Outcome.ERRORS: ReturnState.WITH_ERRORS, Outcome.HELD: ReturnState.HELD}
RETURNS = frozenset(_STATE)  # the outcomes of a file that is some partnership's return


@dataclass(frozen=True)
class Settled:
    """Where one partnership's returns this cycle leave it."""

    state: ReturnState  # from its newest return
    newest: Entry  # its newest return
    shown: Entry | None  # its newest accepted return: what the register shows (None: last year's answers)
    replaced: tuple[Entry, ...]  # its returns a newer one superseded


def settle(entries: Iterable[Entry], key: Callable[[Entry], str]) -> tuple[dict[str, Settled], set[str]]:
    """Each partnership's state (by ``key``), and the SHA-256 of every return a newer one superseded.

    ``entries`` are every return of the cycle, oldest first (the ledger's order: saved, then first seen).
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
        replaced = tuple(e for e in returns if e is not newest and e is not shown)
        settled[partnership] = Settled(_STATE[Outcome(newest.outcome)], newest, shown, replaced)
        superseded |= {e.sha256 for e in replaced}
    return settled, superseded
