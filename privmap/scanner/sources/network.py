"""Whether a database server is publicly reachable, judged from the address the scanner reaches it at.

A server the scanner connects to on a public (globally routable) address listens on the internet,
unless a firewall limits who may connect, which privmap cannot see from inside one connection; a
private, loopback or link-local address (or a Unix socket) is not reachable from the internet. A
source's `publicly_reachable` option declares the answer instead (a cloud database with
authorised networks, a private endpoint behind a public name). Facts: `publicly_reachable` (bool),
`public_reasons` (why, when it is), `network` (the evidence, either way).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


def reachability(host: str, port: int, declared: bool | None) -> dict[str, Any]:
    """The reachability facts of a server at `host`:`port` (nothing when the name does not resolve:
    the source's own connection then fails, and says so)."""
    if declared is not None:
        evidence = f"declared {'publicly reachable' if declared else 'not publicly reachable'} in the source's options"
        return {"publicly_reachable": declared, "public_reasons": [evidence] if declared else [], "network": evidence}
    if host.startswith("/"):
        return {"publicly_reachable": False, "public_reasons": [], "network": "reached through a local Unix socket"}
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return {}
    addresses = sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)
    public = [a for a in addresses if a.is_global]
    listed = ", ".join(str(a) for a in addresses)
    if public:
        why = (
            f"{host}:{port} resolves to the public address {', '.join(str(a) for a in public)} and accepts "
            "connections there (declare publicly_reachable: false if a firewall limits it to known networks)"
        )
        return {"publicly_reachable": True, "public_reasons": [why], "network": why}
    kinds = sorted({"loopback" if a.is_loopback else "link-local" if a.is_link_local else "private" for a in addresses})
    evidence = f"{host}:{port} resolves to {listed} ({', '.join(kinds)}), not an internet address"
    return {"publicly_reachable": False, "public_reasons": [], "network": evidence}
