"""The tenant's directory as a Redactor: every display name of the tenant's people.

Building a Redactor costs about a second for 50,000 names, so it is built once per task run and
kept per process for a few tenants, keyed by a digest of the names: a changed directory (a new
employee, a corrected name) makes a new one. Former employees (inactive users) stay in it: their
names identify them as much as anyone's. Erased people's names are gone from the users table;
:func:`remember_erased` keeps salted hashes of their name forms (per-tenant salt in the tenant's
settings), and the Redactor matches the text's token windows against them (issue 13).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict

from sqlalchemy import select

from web.collections.models import ErasedName
from web.collections.redaction import Redactor, erased_digests
from web.extensions import db
from web.tenancy import TenantScopeMissing, current_tenant_id
from web.tenants.models import Tenant
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
    erased = set(db.session.scalars(select(ErasedName.digest)))
    digest = hashlib.sha256("\n".join([*sorted(names), "", *sorted(erased)]).encode()).hexdigest()
    with _lock:
        cached = _cache.get(tenant_id)
        if cached is not None and cached[0] == digest:
            _cache.move_to_end(tenant_id)
            return cached[1]
    salt = tenant_salt() if erased else b""
    redactor = Redactor(names, erased=erased, salt=salt)  # outside the lock: others need not wait
    with _lock:
        _cache[tenant_id] = (digest, redactor)
        _cache.move_to_end(tenant_id)
        while len(_cache) > CACHED_TENANTS:
            _cache.popitem(last=False)
    return redactor


def tenant_salt() -> bytes:
    """The current tenant's secret salt for erased-name hashes (made on first use)."""
    tenant = db.session.get(Tenant, current_tenant_id())
    settings = dict(tenant.settings or {})
    if "redaction_salt" not in settings:
        settings["redaction_salt"] = secrets.token_hex(32)
        tenant.settings = settings
        db.session.flush()
    return bytes.fromhex(settings["redaction_salt"])


def remember_erased(display_name: str) -> int:
    """Keep an erased person's name forms as salted hashes (before the name goes). Flushes."""
    digests = erased_digests(tenant_salt(), display_name)
    known = (
        set(db.session.scalars(select(ErasedName.digest).where(ErasedName.digest.in_(digests))))
        if digests
        else set()
    )
    for d in sorted(digests - known):
        db.session.add(ErasedName(digest=d))
    db.session.flush()
    return len(digests - known)
