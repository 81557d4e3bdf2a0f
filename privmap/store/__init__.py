"""Persistence of the run history: runs, per-run snapshots of items and findings, problems, facts
and check results (see privmap.store.sqlite for the model)."""

from privmap.store.keyfile import install_secret
from privmap.store.sqlite import BATCH, RUN_KINDS, Run, RunKind, Store, StoreBusy

__all__ = ["BATCH", "RUN_KINDS", "Run", "RunKind", "Store", "StoreBusy", "install_secret"]
