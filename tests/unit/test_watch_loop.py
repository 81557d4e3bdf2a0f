"""The watch loop: a batch that could not be recorded is handed out again; a Halt stops the watch with
the batch uncommitted."""

from __future__ import annotations

import threading

import pytest

from privmap.files import OutputError
from privmap.model import Item, Location
from privmap.watch import watch_loop

UPLOAD = Item(Location("up", "s3://media/a.jpg"), "s3://media", "etag|1|t", 1)


class OneUpload:
    """An intake whose one upload is handed out until a batch holding it is committed."""

    name = "up"

    def __init__(self) -> None:
        self.committed = self.requeued = 0

    def take(self) -> list[Item]:
        return [] if self.committed else [UPLOAD]

    def commit(self) -> None:
        self.committed += 1

    def requeue(self, items: list[Item]) -> None:
        self.requeued += 1

    def stop(self) -> None:
        pass


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        ValueError("duplicate key value (email)=('zofia.wrobel@przyklad.pl') violates unique constraint"),
        RuntimeError("could not write row: 'Ana Lúcia Ferreira', +351 912 345 678"),
    ],
)
def test_a_batch_that_could_not_be_recorded_is_handed_out_again_and_its_error_not_echoed(error, caplog):
    intake, batches = OneUpload(), []

    def record(batch: dict[str, list[Item]]) -> None:
        batches.append(batch)
        if len(batches) == 1:
            raise error

    assert watch_loop([intake], record, threading.Event(), interval=0, max_batches=1) == 1
    assert batches == [{"up": [UPLOAD]}] * 2 and (intake.requeued, intake.committed) == (1, 1)
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("batch not recorded")]
    assert logged.detail.startswith(type(error).__name__)
    for raw in ("zofia.wrobel", "Ana Lúcia", "912 345 678"):
        assert raw not in logged.detail


def test_a_halt_stops_the_watch_and_leaves_the_batch_uncommitted():
    intake, batches, stop = OneUpload(), [], threading.Event()

    def record(batch: dict[str, list[Item]]) -> None:
        batches.append(batch)
        stop.set()  # were the Halt taken for a passing failure, the loop ends here instead of retrying for ever
        raise OutputError("alerts.jsonl: cannot write there: No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        watch_loop([intake], record, threading.Event(), interval=0, max_batches=1, stop=stop)
    assert len(batches) == 1 and (intake.requeued, intake.committed) == (0, 0)  # the next watcher takes it again
