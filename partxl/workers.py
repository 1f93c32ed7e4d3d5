"""Work over many files on every core, when there is enough of it to pay for starting processes.

Reading returns and writing workbooks are CPU-bound (parsing and writing XML), so generate and
consolidate hand them to one worker process per core. What every job needs (the form
definitions, the configuration) is sent to each worker once, not with every job.

Jobs on files from outside (the returns) run isolated (:meth:`Workers.isolated_map`): always in
worker processes of their own, however few, each job watched, so that one file that kills its
process (a reader that aborts, runs out of memory or is killed) or runs past a time limit costs
only itself: the process is replaced, the job reported as failed, and the other jobs go on.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Any

PARALLEL_FROM = 24  # fewer jobs than this run in this process: starting workers would cost more than it saves
START_METHOD_VARIABLE = "PARTXL_START_METHOD"
JOB_SECONDS = 60.0  # an isolated job running longer than this is stopped: a return is checked in milliseconds
JOB_SECONDS_VARIABLE = "PARTXL_JOB_SECONDS"  # another limit, for tests (and a MIO on a very slow machine)
CHUNK = 8  # isolated jobs sent to a worker at once, two batches at a time: it never waits for work, and few messages pass
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


def job_seconds() -> float:
    """How long one job on a file from outside may run: :data:`JOB_SECONDS`, or ``PARTXL_JOB_SECONDS``."""
    return float(os.environ.get(JOB_SECONDS_VARIABLE) or JOB_SECONDS)


class TookTooLong(BaseException):
    """Raised by :func:`each_within` into work that ran past its limit: a BaseException, so that the work's own
    ``except Exception`` (a parser's, turning its failures into findings) does not take it for one of its own."""


def each_within(items: Iterator[Any], seconds: float) -> Iterator[Any]:
    """The items of ``items``, each made within ``seconds`` of asking, or :class:`TookTooLong` raised inside the work.

    For work on a file from outside that runs in this process (the parsing of a saved e-mail, say, which is pure
    Python): a timer signal interrupts it between two steps, so a file that would hold a parser for ever costs only
    itself. Where there is no such timer (Windows), or off the main thread (signals go only to it), the items come
    unguarded.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield from items
        return

    def stop(signum: int, frame: Any) -> None:
        raise TookTooLong(f"it ran for more than {seconds:g} seconds")

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        while True:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            yield item
    finally:
        signal.signal(signal.SIGALRM, previous)


def few_collections() -> None:
    """Look for reference cycles less often, in this process and the workers it starts.

    Reading thousands of returns and writing workbooks of hundreds of thousands of cells allocates
    millions of small objects and makes almost no cycles; with Python's default thresholds the
    collector ran often enough to cost a seventh of a consolidation (measured on 1,000 returns).
    """
    gc.set_threshold(100_000, 50, 1000)


def _install(shared: dict[str, Any], preload: tuple[str, ...], parent: int | None = None) -> None:
    _SHARED.clear()
    _SHARED.update(shared)
    for module in preload:  # while the parent is still busy hashing: not on the way of the first job that needs it
        importlib.import_module(module)
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    """End this worker once the command that started it has gone: killed, it cannot say so (a pool's worker would
    otherwise wait for work for ever, as those of runs killed with SIGKILL did)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


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
        context = multiprocessing.get_context(start_method())
        self.pool = ProcessPoolExecutor(max_workers=min(cores, 8), mp_context=context,
                                        initializer=_install, initargs=(shared, preload, os.getpid())) if parallel and cores >= 2 else None
        # the isolated workers only check files: the modules ``preload`` names (writers) are not theirs to import
        self.isolated = _Isolated(context, min(cores, 8) if self.pool is not None else 1, shared, ())

    def start(self) -> None:
        """Start every worker process now rather than with the first jobs (a forking pool starts them all at its first).

        Call it before starting threads of your own too: a process forked while another thread
        holds a lock (the import lock, say) would wait for it forever. The isolated workers start
        here too when they are forked (they are cheap then); others start with their first job.
        """
        if self.pool is not None and not self.started:
            self.pool.submit(os.getpid).result()
            self.started = True
        if self.isolated.context.get_start_method() == "fork":
            self.isolated.start()

    def map(self, function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``function(shared, *job)`` for every job, yielded in order.

        ``jobs`` is read to the end before this returns, and the workers start on the first jobs
        while later ones are still being made.
        """
        if self.pool is None:
            listed = list(jobs)
            return (function(self.shared, *job) for job in listed)
        return self.pool.map(partial(_call_job, function), jobs, chunksize=8)

    def isolated_map(self, function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]], seconds: float | None = None) -> Iterator[Any]:
        """``function(shared, *job)`` for every job, each in a worker process (however few the jobs), yielded in order.

        A job whose process dies, that raises, or that runs longer than ``seconds`` (:data:`JOB_SECONDS`, or
        ``PARTXL_JOB_SECONDS``) yields ``function(shared, *job, failure=Failure(...))`` instead, called here:
        the function says what such a job means, without doing the job. ``jobs`` is read to the end before
        this returns, and the workers start on the first jobs while later ones are still being made.
        """
        limit = seconds if seconds is not None else job_seconds()
        return self.isolated.map(function, jobs, limit)

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
        self.isolated.close()
        if self.pool is not None:  # also when the caller stops early: nothing left running behind it
            self.pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(function: Callable[..., Any], jobs: list[tuple[Any, ...]], shared: dict[str, Any]) -> Iterator[Any]:
    """``function(shared, *job)`` for every job, in order; in worker processes for many jobs on several cores."""
    with Workers(shared, parallel=len(jobs) >= PARALLEL_FROM) as workers:
        yield from workers.map(function, jobs)


@dataclass(frozen=True)
class Failure:
    """Why an isolated job gave no result: its process ``crashed`` (died), the job ``failed`` (raised), or it ``timed out``."""

    kind: str
    detail: str
    seconds: float = 0.0  # the limit, for a job that timed out


def _serve(connection: Connection, shared: dict[str, Any], preload: tuple[str, ...], errors: str, parent: int) -> None:
    """An isolated worker: run each job sent, send back (index, True, result) or (index, False, what it raised).

    Its standard error goes to the file ``errors``: what a dying reader says last (a Rust abort prints why, and
    perhaps a long backtrace) becomes part of the finding, not noise on the MIO's screen. It ends when the process
    ``parent`` (the command) does, even killed: a sibling worker may hold the pipe open, so the pipe cannot say so.
    """
    os.dup2(os.open(errors, os.O_WRONLY | os.O_APPEND), 2)
    _install(shared, preload)
    few_collections()
    while True:
        try:
            if not connection.poll(1.0):
                if os.getppid() != parent:  # nobody is left to read what it said: its file goes with it
                    with contextlib.suppress(OSError):
                        os.unlink(errors)
                    return
                continue
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        function, batch = message
        outcomes = [_outcome(function, index, job) for index, job in batch]
        try:
            connection.send(outcomes)
        except Exception as exc:  # results that cannot be sent (pickled): each job of the batch failed so
            connection.send([(index, False, f"its result could not be sent back ({type(exc).__name__}: {exc})")
                             for index, _ in batch])


def _outcome(function: Callable[..., Any], index: int, job: tuple[Any, ...]) -> tuple[int, bool, Any]:
    """(index, True, the job's result), or (index, False, what it raised)."""
    try:
        return index, True, function(_SHARED, *job)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # the job's own failure, a Rust panic (a BaseException) included
        return index, False, f"{type(exc).__name__}: {str(exc)[:300]}"


Batch = list[tuple[int, tuple[Any, ...], bool]]  # jobs sent together: index, job, and whether it must go alone


class _Slot:
    """One isolated worker process and the batches sent to it, oldest (the one it is running) first."""

    def __init__(self, process: Any, connection: Connection):
        self.process, self.connection = process, connection
        self.batches: deque[Batch] = deque()
        self.since = time.monotonic()  # when the batch it is running started


class _Isolated:
    """Worker processes for jobs on untrusted files: a job that kills its process, or runs too long, costs only itself.

    Each worker runs the batches of jobs sent to it in order, so a dead worker was on the oldest batch not
    answered: a batch of one job is that job's failure; the jobs of a bigger batch are sent again one by one
    (to find the one that did it), and the batches queued behind it go to the front of the queue again. A fresh
    worker takes its place. A watchdog kills a worker whose batch has run past the limit, with the same
    outcome (a file that hangs costs the limit twice: once in its batch, once alone). The first
    workers are forked (at once, while the command has no threads); a replacement, needed while other threads may
    hold locks, is started afresh (spawned), which inherits no lock.
    """

    def __init__(self, context: Any, size: int, shared: dict[str, Any], preload: tuple[str, ...]):
        self.context, self.size, self.shared, self.preload = context, size, shared, preload
        self.slots: list[_Slot] = []
        self._errors: dict[int, str] = {}  # worker pid -> the file its standard error goes to

    def start(self) -> None:
        while len(self.slots) < self.size:
            self.slots.append(self._spawn(self.context))

    def _spawn(self, context: Any) -> _Slot:
        handle, errors = tempfile.mkstemp(prefix="partxl-worker-", suffix=".log")
        os.close(handle)
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, self.shared, self.preload, errors, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        self._errors[process.pid] = errors
        return _Slot(process, ours)

    def map(self, function: Callable[..., Any], jobs: Iterable[tuple[Any, ...]], limit: float) -> Iterator[Any]:
        run = _Run(self, function, limit)  # the workers start with the first job (a run of no new files needs none)
        for job in jobs:
            run.add(job)
        return run.results()

    def ended(self, slot: _Slot) -> str:
        """How a dead worker ended, and the last thing it said, in words for the finding."""
        said = _last_words(self._errors.get(slot.process.pid, ""))
        return _ended(slot.process.exitcode) + (f": {said}" if said else "")

    def replace(self, slot: _Slot) -> None:
        """Kill a worker (if it still lives) and put a fresh one in its place."""
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join()
        slot.connection.close()
        self._forget(slot)
        fresh = self.context if self.context.get_start_method() != "fork" else multiprocessing.get_context("spawn")
        self.slots[self.slots.index(slot)] = self._spawn(fresh)

    def _forget(self, slot: _Slot) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._errors.pop(slot.process.pid, ""))

    def close(self) -> None:
        """Ask each worker to stop, then make sure: nothing is left running behind the command."""
        for slot in self.slots:
            with contextlib.suppress(OSError):
                slot.connection.send(None)
        for slot in self.slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.connection.close()
            self._forget(slot)
        self.slots = []


class _Run:
    """One :meth:`_Isolated.map`: jobs waiting (alone: to be sent in a batch of their own), results by index."""

    def __init__(self, pool: _Isolated, function: Callable[..., Any], limit: float):
        self.pool, self.function, self.limit = pool, function, limit
        self.waiting: deque[tuple[int, tuple[Any, ...], bool]] = deque()
        self.done: dict[int, Any] = {}
        self.count = 0

    def add(self, job: tuple[Any, ...]) -> None:
        self.waiting.append((self.count, job, False))
        self.count += 1
        self.pump(0)

    def results(self) -> Iterator[Any]:
        for index in range(self.count):
            while index not in self.done:
                self.pump(self._timeout())
            yield self.done.pop(index)

    def pump(self, timeout: float) -> None:
        """Send waiting jobs to workers with room, then take what has come back (waiting up to ``timeout``)."""
        self.pool.start()
        for slot in list(self.pool.slots):
            if not slot.batches and not slot.process.is_alive():  # died between batches (killed, say): nothing lost
                self.pool.replace(slot)
        for slot in self.pool.slots:
            while self.waiting and len(slot.batches) < 2 and self._send(slot, self._batch()):
                pass
        busy = [slot for slot in self.pool.slots if slot.batches]
        ready = wait([s.connection for s in busy] + [s.process.sentinel for s in busy], timeout)
        for slot in busy:
            if slot.connection in ready or slot.process.sentinel in ready:
                self._collect(slot)
            elif time.monotonic() - slot.since > self.limit:
                self._fail(slot, Failure("timed out", f"it ran for more than {self.limit:g} seconds", self.limit))

    def _batch(self) -> Batch:
        """The next batch: up to CHUNK jobs in order, or one job that must go alone."""
        batch = [self.waiting.popleft()]
        while not batch[0][2] and self.waiting and len(batch) < CHUNK and not self.waiting[0][2]:
            batch.append(self.waiting.popleft())
        return batch

    def _send(self, slot: _Slot, batch: Batch) -> bool:
        """Send a batch; False (the batch back in the queue) when the worker has died since (found when collecting)."""
        try:
            slot.connection.send((self.function, [(index, job) for index, job, _ in batch]))
        except OSError:
            self.waiting.extendleft(reversed(batch))
            return False
        if not slot.batches:
            slot.since = time.monotonic()
        slot.batches.append(batch)
        return True

    def _collect(self, slot: _Slot) -> None:
        """Take every answer the worker has sent; if it has died, its current batch failed with it."""
        try:
            while slot.batches and slot.connection.poll():
                outcomes = slot.connection.recv()
                batch = {index: job for index, job, _ in slot.batches.popleft()}
                for index, ok, value in outcomes:
                    self.done[index] = value if ok else self.function(self.pool.shared, *batch[index],
                                                                      failure=Failure("failed", value))
                slot.since = time.monotonic()
        except (EOFError, OSError):
            pass
        if slot.batches and not slot.process.is_alive():
            slot.process.join()
            self._fail(slot, Failure("crashed", self.pool.ended(slot)))

    def _fail(self, slot: _Slot, failure: Failure) -> None:
        """The worker's current batch failed: a job alone has its failure recorded; the jobs of a bigger batch go
        again, one by one, ahead of the batches queued behind it; and the worker is replaced."""
        current = slot.batches.popleft()
        if len(current) == 1:
            index, job, _ = current[0]
            self.done[index] = self.function(self.pool.shared, *job, failure=failure)
        again = [(index, job, True) for index, job, _ in current] if len(current) > 1 else []
        again += [entry for batch in slot.batches for entry in batch]
        self.waiting.extendleft(reversed(again))
        slot.batches.clear()
        self.pool.replace(slot)

    def _timeout(self) -> float:
        """How long to wait for answers: until the soonest batch would run past the limit (at most a second)."""
        now = time.monotonic()
        ends = [slot.since + self.limit - now for slot in self.pool.slots if slot.batches]
        return max(0.0, min([1.0, *ends]))


def _last_words(path: str) -> str:
    """The last line a worker wrote to its standard error that says something (not a backtrace's frames): the one
    before a Rust backtrace, which can run to many kilobytes after it ("memory allocation of ... bytes failed")."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
            size = os.path.getsize(path)
            handle.seek(max(len(head), size - 8192))
            tail = handle.read()
    except OSError:
        return ""
    lines = head.decode("utf-8", "replace").splitlines()
    if "stack backtrace:" in lines:
        lines = lines[:lines.index("stack backtrace:")]
    elif tail:  # the end of a long text, from its first whole line
        lines = tail.decode("utf-8", "replace").splitlines()[1 if size - len(tail) > len(head) else 0:]
    said = [line.strip() for line in lines if line.strip() and not line.startswith((" ", "\t"))
            and not line.startswith(("stack backtrace:", "note: ", "thread '", "fatal runtime error"))]
    return said[-1][:300] if said else ""


def _ended(exitcode: int | None) -> str:
    """How a worker process ended, in words: 'it was stopped by SIGABRT (an abort)', say."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = {"SIGABRT": " (an abort: the reader gave up)", "SIGKILL": " (killed: out of memory, or by someone)",
               "SIGSEGV": " (a crash in the reader)"}.get(name, "")
        return f"the reader's process was stopped by {name}{why}"
    return f"the reader's process ended with exit code {exitcode}"
