"""Run the per-item work in this process or in forked worker processes.

Workers are forked after the detector is built, so each starts with the NLP models already
in memory (building them per process costs seconds; per task, far more). Only items go to
the workers and only outcomes come back; the parent alone writes to the store.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_work: Callable[[Any], Any] | None = None  # set in the parent just before forking


def _call(arg: Any) -> Any:
    assert _work is not None
    return _work(arg)


def run_all(fn: Callable[[T], R], args: Iterable[T], workers: int) -> Iterator[tuple[T, R]]:
    """(arg, fn(arg)) for each arg, in order, with at most 2 x workers tasks in flight."""
    global _work
    if workers <= 1:
        for arg in args:
            yield arg, fn(arg)
        return
    _work = fn
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[tuple[T, Any]] = deque()
        for arg in args:
            pending.append((arg, pool.apply_async(_call, (arg,))))
            if len(pending) >= 2 * workers:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
    _work = None
