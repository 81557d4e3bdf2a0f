"""Hypothesis profiles: `make test` runs a bounded slice of every fuzzer, `make test-reliability` the
long run (PRIVMAP_FUZZ=long: 25,000 examples per fuzzer)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=25_000, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)
settings.load_profile(os.environ.get("PRIVMAP_FUZZ", "ci"))
