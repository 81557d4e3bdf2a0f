"""The upload watch's re-check of failing consent evidence: only uploads whose evidence changed are
handed out, and a large set is read a bounded number a look, in turn."""

from __future__ import annotations

from privmap.model import Item, ItemOutcome, Location
from privmap.store import Store
from privmap.uploads import UploadStore, Verdict
from privmap.watch import Recheck


class Evidence:
    """A source whose metadata is a dict per uri; counts what it was asked."""

    name = "up"

    def __init__(self) -> None:
        self.now: dict[str, dict[str, str]] = {}
        self.asked: list[str] = []

    def metadata(self, item: Item) -> dict[str, str]:
        self.asked.append(item.location.uri)
        return self.now.get(item.location.uri, {})


def test_only_changed_evidence_is_handed_out_a_bounded_number_a_look(tmp_path):
    store = Store(tmp_path / "state.db")
    uris = [f"s3://b/u{n}.jpg" for n in range(5)]
    run = store.begin_run("h", "c").id
    for uri in uris:
        store.save_outcome(ItemOutcome(Item(Location("up", uri), "s3://b", "settings:etag|1|t", 1)), run, None)
    store.finish_run(run, "finished", {})
    verdicts = [Verdict("up", u, "controller", "missing", "no consent-id evidence") for u in uris[:4]]
    UploadStore(store).save(run, [*verdicts, Verdict("up", uris[4], "controller", "valid", "ok", "c-1")])
    source = Evidence()
    recheck = Recheck(source, store, "consent-id", per_look=3)
    assert recheck.take() == [] and source.asked == uris[:3]  # the valid upload is never asked about
    source.now[uris[1]] = {"tag:consent-id": "c-2"}
    source.now[uris[3]] = {"tag:consent-id": "c-3"}
    source.asked.clear()
    taken = recheck.take()  # the next turn: u3, then round to u0 and u1
    assert source.asked == [uris[0], uris[1], uris[3]]
    assert [(i.location.uri, i.fingerprint) for i in taken] == [(u, "etag|1|t") for u in (uris[1], uris[3])]
    store.close()


def test_an_upload_whose_consent_id_is_in_its_user_metadata_is_not_asked_about(tmp_path):
    """User metadata comes before tags in evidence_id and changes only with a new upload (read anew):
    a tag added to such an upload changes nothing, so no request is spent on it."""
    store = Store(tmp_path / "state.db")
    run = store.begin_run("h", "c").id
    uploads = {"s3://b/meta.jpg": {"meta:consent-id": "c-withdrawn"}, "s3://b/none.jpg": {}}
    for uri, metadata in uploads.items():
        item = Item(Location("up", uri), "s3://b", "settings:etag|1|t", 1, metadata=metadata)
        store.save_outcome(ItemOutcome(item), run, None)
    store.finish_run(run, "finished", {})
    UploadStore(store).save(
        run,
        [
            Verdict("up", "s3://b/meta.jpg", "controller", "withdrawn", "consent withdrawn", "c-withdrawn"),
            Verdict("up", "s3://b/none.jpg", "controller", "missing", "no consent-id evidence"),
        ],
    )
    source = Evidence()
    source.now["s3://b/meta.jpg"] = {"tag:consent-id": "c-other"}
    assert Recheck(source, store, "consent-id").take() == [] and source.asked == ["s3://b/none.jpg"]
    store.close()
