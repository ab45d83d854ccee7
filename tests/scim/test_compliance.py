"""scim2-tester, the RFC 7643/7644 compliance checker, against the real server on loopback."""

from __future__ import annotations

from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILED = {Status.ERROR, Status.CRITICAL}


def test_scim2_tester_finds_no_failure(scim):
    with scim.client() as http:
        client = SyncSCIMClient(http)
        results = check_server(client, raise_exceptions=False)
    failures = [r for r in results if r.status in FAILED]
    for r in results:
        print(r.status.name, r.resource_type, r.title, "|", r.reason)
    assert results and not failures, "\n".join(
        f"{r.resource_type} {r.title}: {r.reason}" for r in failures)
