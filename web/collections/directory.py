"""The tenant's directory as a Redactor: every display name of the tenant's people.

Building a Redactor costs about a second for 50,000 names, so it is built once per task run and
kept per process for a few tenants, keyed by a digest of the names: a changed directory (a new
employee, a corrected name) makes a new one. Former employees (inactive users) stay in it: their
names identify them as much as anyone's.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from sqlalchemy import select

from web.collections.redaction import Redactor
from web.extensions import db
from web.tenancy import TenantScopeMissing, current_tenant_id
from web.users.models import User

CACHED_TENANTS = 4  # an automaton for a big municipality takes tens of megabytes

_cache: OrderedDict[int, tuple[str, Redactor]] = OrderedDict()
_lock = threading.Lock()


def directory_names() -> list[str]:
    """The display names of the current tenant's people (one query)."""
    return list(db.session.scalars(select(User.display_name).order_by(User.id)))


def directory_redactor() -> Redactor:
    """The Redactor of the current tenant's directory, rebuilt only when the names changed."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantScopeMissing("directory_redactor() needs a tenant scope")
    names = directory_names()
    digest = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
    with _lock:
        cached = _cache.get(tenant_id)
        if cached is not None and cached[0] == digest:
            _cache.move_to_end(tenant_id)
            return cached[1]
    redactor = Redactor(names)  # outside the lock: other tenants need not wait
    with _lock:
        _cache[tenant_id] = (digest, redactor)
        _cache.move_to_end(tenant_id)
        while len(_cache) > CACHED_TENANTS:
            _cache.popitem(last=False)
    return redactor
