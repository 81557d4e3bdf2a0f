"""Alerts: raised from a run's check results, kept in the store until every sink has them.

`raise_alerts` turns failing checks into deduplicated alerts (one per rule and subject, for
as long as it keeps failing); `deliver` hands pending alerts to the configured sinks
(registered plugins of kind "alert"), as single messages or, past a sink's limits, as one
digest. An alert a sink could not take stays pending and is tried again on the next run.
"""

from privmap.alerts.base import Alert, DeliveryFailed, SinkBase
from privmap.alerts.dispatch import build_sinks, deliver, raise_alerts, sink_name
from privmap.alerts.store import AlertStore

__all__ = ["Alert", "AlertStore", "DeliveryFailed", "SinkBase", "build_sinks", "deliver", "raise_alerts", "sink_name"]
