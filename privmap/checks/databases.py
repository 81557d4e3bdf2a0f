"""Database posture (Art. 32, 25(2)): the scanning role's own privileges and the public schema.

Facts come from the SQL sources (privmap/scanner/sources/sql): `scanner_role` is
{role, superuser_equivalent: [...], writes: [...]}, `public_schema_create` a bool (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check


@check("SEC-010")
def scanning_role_privileges(ev: Evidence) -> Iterator[Outcome]:
    for (_, store), facts in sorted(ev.store_facts().items()):
        role = facts.get("scanner_role")
        if role is None:
            continue
        excess = [*role["superuser_equivalent"], *role["writes"]]
        if excess:
            yield Outcome(f"store:{store}", "fail", f"role {role['role']} holds {'; '.join(excess)}")
        else:
            yield Outcome(f"store:{store}", "pass", f"role {role['role']} can read, not write or administer")


@check("SEC-011")
def public_schema_create(ev: Evidence) -> Iterator[Outcome]:
    for (_, store), facts in sorted(ev.store_facts().items()):
        if "public_schema_create" not in facts:
            continue
        if facts["public_schema_create"]:
            yield Outcome(f"store:{store}", "fail", "PUBLIC holds CREATE on schema public")
        else:
            yield Outcome(f"store:{store}", "pass", "only granted roles may create objects in schema public")
