"""Database posture (Art. 32, 25(2)): the scanning role's own privileges and the public schema.

Facts come from the SQL sources (privmap/scanner/sources/sql): `scanner_role` is
{role, superuser_equivalent: [...], writes: [...]}, `public_schema_create` a bool (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check, stores_with, verdict


@check("SEC-010")
def scanning_role_privileges(ev: Evidence) -> Iterator[Outcome]:
    for subject, role in stores_with(ev, "scanner_role"):
        excess = [*role["superuser_equivalent"], *role["writes"]]
        failure = f"role {role['role']} holds {'; '.join(excess)}" if excess else None
        yield verdict(subject, failure, f"role {role['role']} can read, not write or administer")


@check("SEC-011")
def public_schema_create(ev: Evidence) -> Iterator[Outcome]:
    for subject, granted in stores_with(ev, "public_schema_create"):
        failure = "PUBLIC holds CREATE on schema public" if granted else None
        yield verdict(subject, failure, "only granted roles may create objects in schema public")
