"""Work over many files on every core, when there is enough of it to pay for starting processes.

Reading returns and writing workbooks are CPU-bound (parsing and writing XML), so generate and
consolidate hand them to one worker process per core. What every job needs (the form
definitions, the configuration) is sent to each worker once, not with every job.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from typing import Any

PARALLEL_FROM = 24  # fewer jobs than this run in this process: starting workers would cost more than it saves
START_METHOD_VARIABLE = "PARTXL_START_METHOD"
_SHARED: dict[str, Any] = {}


def start_method() -> str:
    """How worker processes start, chosen here rather than left to Python's default (which 3.14 changes on Linux).

    Fork where the platform has it safely (Linux): a worker starts at once as a copy of a small parent,
    which is what the figures in the README measure. Spawn elsewhere (macOS and Windows, where fork is
    unsafe or absent): each worker imports partxl afresh and receives the shared definitions by pickle.
    ``PARTXL_START_METHOD=spawn`` (or forkserver) chooses another, as the tests do to prove spawn works.
    """
    chosen = os.environ.get(START_METHOD_VARIABLE) or ("fork" if sys.platform.startswith("linux") else "spawn")
    if chosen not in multiprocessing.get_all_start_methods():
        raise ValueError(f"{START_METHOD_VARIABLE}={chosen!r} is not a start method here; "
                         f"use one of {', '.join(multiprocessing.get_all_start_methods())}")
    return chosen


def few_collections() -> None:
    """Look for reference cycles less often, in this process and the workers it starts.

    Reading thousands of returns and writing workbooks of hundreds of thousands of cells allocates
    millions of small objects and makes almost no cycles; with Python's default thresholds the
    collector ran often enough to cost a seventh of a consolidation (measured on 1,000 returns).
    """
    gc.set_threshold(100_000, 50, 1000)


def _install(shared: dict[str, Any], preload: tuple[str, ...]) -> None:
    _SHARED.clear()
    _SHARED.update(shared)
    for module in preload:  # while the parent is still busy hashing: not on the way of the first job that needs it
        importlib.import_module(module)


def _call_job(function: Callable[..., Any], job: tuple[Any, ...]) -> Any:
    return function(_SHARED, *job)


class Workers:
    """One worker process per core (or this process, for little work), kept for a whole command.

    The processes start with the first job. Starting them before this process has read much
    keeps them small (a forked worker begins as a copy of its parent), so a worker that later
    builds a large workbook does not carry every answer the parent holds as well.
    """

    def __init__(self, shared: dict[str, Any], parallel: bool, preload: tuple[str, ...] = ()):
        """``preload``: modules each worker imports as it starts, that its jobs will need (the parent may not have them)."""
        self.shared, self.started = shared, False
        cores = os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=min(cores, 8), mp_context=multiprocessing.get_context(start_method()),
                                        initializer=_install, initargs=(shared, preload)) if parallel and cores >= 2 else None

    def start(self) -> None:
        """Start every worker process now rather than with the first jobs (a forking pool starts them all at its first).

        Call it before starting threads of your own too: a process forked while another thread
        holds a lock (the import lock, say) would wait for it forever.
        """
        if self.pool is not None and not self.started:
            self.pool.submit(os.getpid).result()
            self.started = True

    def map(self, function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``function(shared, *job)`` for every job, yielded in order.

        ``jobs`` is read to the end before this returns, and the workers start on the first jobs
        while later ones are still being made.
        """
        if self.pool is None:
            listed = list(jobs)
            return (function(self.shared, *job) for job in listed)
        return self.pool.map(partial(_call_job, function), jobs, chunksize=8)

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """``function(shared, *args)`` as one job; its future's result is ready when the job is."""
        if self.pool is None:
            done: Future[Any] = Future()
            done.set_result(function(self.shared, *args))
            return done
        return self.pool.submit(_call_job, function, args)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:  # also when the caller stops early: nothing left running behind it
            self.pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(function: Callable[..., Any], jobs: list[tuple[Any, ...]], shared: dict[str, Any]) -> Iterator[Any]:
    """``function(shared, *job)`` for every job, in order; in worker processes for many jobs on several cores."""
    with Workers(shared, parallel=len(jobs) >= PARALLEL_FROM) as workers:
        yield from workers.map(function, jobs)
