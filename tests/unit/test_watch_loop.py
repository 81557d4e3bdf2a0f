"""The watch loop: a batch that could not be recorded is handed out again; a Halt stops the watch with
the batch uncommitted."""

from __future__ import annotations

import threading

import pytest

from privmap.files import OutputError
from privmap.model import Item, Location
from privmap.scanner.sources.base import SourceError
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


class Unreachable(OneUpload):
    """An intake whose source cannot be read on the looks in `failing` (counted from 1)."""

    def __init__(self, failing: set[int]) -> None:
        super().__init__()
        self.failing, self.looks = failing, 0

    def take(self) -> list[Item]:
        self.looks += 1
        if self.looks in self.failing:
            raise SourceError("missing", "ReceiveMessage: AWS.SimpleQueueService.NonExistentQueue")
        return super().take()


def test_a_source_that_cannot_be_read_at_the_start_is_said_not_retried():
    with pytest.raises(SourceError, match=r"source 'up' cannot be watched: ReceiveMessage: .*NonExistentQueue"):
        watch_loop([Unreachable({1})], lambda batch: None, threading.Event(), interval=0, max_batches=1)


def test_a_source_that_fails_later_is_skipped_for_that_look_and_the_others_go_on(caplog):
    class Later(OneUpload):
        """One upload on the third look."""

        looks = 0

        def take(self) -> list[Item]:
            self.looks += 1
            return [UPLOAD] if self.looks == 3 else []

    failing, later, batches = Unreachable({2, 3}), Later(), []
    later.name = "other"
    assert watch_loop([failing, later], batches.append, threading.Event(), interval=0, max_batches=2) == 2
    # look 1: 'up' has its upload; look 3: 'up' cannot be read, 'other' has one and goes on alone
    assert [sorted(b) for b in batches] == [["up"], ["other"]]
    assert sum(r.getMessage().startswith("source not looked at") for r in caplog.records) == 2
