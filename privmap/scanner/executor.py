"""Run the per-item work in this process or in forked worker processes.

Workers are forked after the detector is built, so each starts with the NLP models already
in memory (building them per process costs seconds; per task, far more). Only items go to
the workers and only outcomes come back; the parent alone writes to the store.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_work: Callable[[Any], Any] | None = None  # set in the parent just before forking


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills this worker when the scanning process dies, however it dies
    (SIGKILL by the OOM killer, a supervisor's SIGTERM), instead of leaving it holding its models' memory."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _call(arg: Any) -> Any:
    assert _work is not None
    return _work(arg)


def run_all(fn: Callable[[T], R], args: Iterable[T], workers: int) -> Iterator[tuple[T, R]]:
    """(arg, fn(arg)) for each arg, in order, with at most 2 x workers tasks in flight.

    A worker that dies (killed for memory, a crash in a native parser) raises BrokenProcessPool
    here instead of leaving the scan waiting forever; the pipeline records it on the source."""
    global _work
    if workers <= 1:
        for arg in args:
            yield arg, fn(arg)
        return
    _work = fn
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            pending: deque[tuple[T, Future[Any]]] = deque()
            for arg in args:
                pending.append((arg, pool.submit(_call, arg)))
                if len(pending) >= 2 * workers:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
    finally:
        _work = None
