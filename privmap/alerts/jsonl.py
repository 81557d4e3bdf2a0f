"""JSONL file sink: one JSON object per alert per line, appended; for log shippers and SIEMs."""

from __future__ import annotations

import json
import os

from privmap.alerts.base import Alert, DeliveryFailed, SinkBase, SinkOptions


class JsonlOptions(SinkOptions):
    path: str  # relative to the config file's folder


class JsonlSink(SinkBase):
    Options = JsonlOptions
    options: JsonlOptions

    def send(self, alerts: list[Alert]) -> None:
        path = self.config.resolve(self.options.path)
        lines = "".join(json.dumps(a.record(), sort_keys=True) + "\n" for a in alerts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # one write of whole lines, flushed to disk before the alerts count as delivered
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise DeliveryFailed(f"cannot append to {path.name}: {exc.strerror}", transient=False) from None
