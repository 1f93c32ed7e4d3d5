"""Work over many files on every core, when there is enough of it to pay for starting processes.

Reading returns and writing workbooks are CPU-bound (parsing and writing XML), so generate and
consolidate hand them to one worker process per core. What every job needs (the form
definitions, the configuration) is sent to each worker once, not with every job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

PARALLEL_FROM = 24  # fewer jobs than this run in this process: starting workers would cost more than it saves
_SHARED: dict[str, Any] = {}


def _install(shared: dict[str, Any]) -> None:
    _SHARED.clear()
    _SHARED.update(shared)


def _call(function: Callable[..., Any], job: tuple[Any, ...]) -> Any:
    return function(_SHARED, *job)


def ordered_map(function: Callable[..., Any], jobs: list[tuple[Any, ...]], shared: dict[str, Any]) -> Iterator[Any]:
    """``function(shared, *job)`` for every job, yielded in order; in worker processes for many jobs on several cores.

    ``function`` must be a module-level function, so that workers can find it.
    """
    cores = os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or cores < 2:
        yield from (function(shared, *job) for job in jobs)
        return
    with ProcessPoolExecutor(max_workers=min(cores, 8), initializer=_install, initargs=(shared,)) as pool:
        yield from pool.map(partial(_call, function), jobs, chunksize=8)
