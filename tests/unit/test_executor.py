import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from privmap.scanner.executor import run_all


def double(n: int) -> int:
    return 2 * n


def dies_on_three(n: int) -> int:
    if n == 3:
        os._exit(1)  # a worker killed mid-item (out of memory, a crashing parser)
    return n


def test_results_come_back_in_order_from_worker_processes():
    assert list(run_all(double, range(20), workers=2)) == [(n, 2 * n) for n in range(20)]


def test_a_dead_worker_raises_instead_of_hanging():
    with pytest.raises(BrokenProcessPool):
        list(run_all(dies_on_three, range(10), workers=2))
