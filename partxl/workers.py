"""Work over many files on every core, when there is enough of it to pay for starting processes.

Reading returns and writing workbooks are CPU-bound (parsing and writing XML), so generate and
consolidate hand them to one worker process per core. What every job needs (the form
definitions, the configuration) is sent to each worker once, not with every job.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

PARALLEL_FROM = 24  # fewer jobs than this run in this process: starting workers would cost more than it saves
_SHARED: dict[str, Any] = {}


def few_collections() -> None:
    """Look for reference cycles less often, in this process and the workers it starts.

    Reading thousands of returns and writing workbooks of hundreds of thousands of cells allocates
    millions of small objects and makes almost no cycles; with Python's default thresholds the
    collector ran often enough to cost a seventh of a consolidation (measured on 1,000 returns).
    """
    gc.set_threshold(100_000, 50, 1000)


def _install(shared: dict[str, Any]) -> None:
    _SHARED.clear()
    _SHARED.update(shared)


def _call(function: Callable[..., Any], job: tuple[Any, ...]) -> Any:
    return function(_SHARED, *job)


def ordered_map(function: Callable[..., Any], jobs: list[tuple[Any, ...]], shared: dict[str, Any]) -> Iterator[Any]:
    """``function(shared, *job)`` for every job, yielded in order; in worker processes for many jobs on several cores.

    The workers start at once, not at the first result asked for, so that the caller can do other work
    (read last year's register, say) while they run. ``function`` must be a module-level function,
    so that workers can find it.
    """
    cores = os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or cores < 2:
        return (function(shared, *job) for job in jobs)
    pool = ProcessPoolExecutor(max_workers=min(cores, 8), initializer=_install, initargs=(shared,))
    return _drained(pool, pool.map(partial(_call, function), jobs, chunksize=8))


def _drained(pool: ProcessPoolExecutor, results: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from results
    finally:  # also when the caller stops early: nothing left running behind it
        pool.shutdown(wait=True, cancel_futures=True)
