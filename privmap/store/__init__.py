"""Persistence of runs, items, findings, problems, facts and check results."""

from privmap.store.keyfile import install_secret
from privmap.store.sqlite import ItemState, Run, Store

__all__ = ["ItemState", "Run", "Store", "install_secret"]
