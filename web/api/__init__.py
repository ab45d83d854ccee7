"""The JSON API, version 1: ``/t/<tenant>/api/v1/…``.

The tenant comes from the URL exactly like every page (the API blueprint is a child of the
tenant blueprint, which resolves the slug and enters the tenant scope), so ids of another
tenant are 404 and a token works only in its own tenant. The views are thin: they load rows
with ``tenancy.get_or_404``, check the pages' permissions with ``permissions.require`` and call
the same service functions as the pages.

- ``auth``: bearer tokens or the session cookie, and the API's CSRF rule.
- ``tokens``, ``models``: personal access tokens; ``pages``: where users create and revoke them.
- ``routing``: the ``operation`` decorator (route + documentation + commit/rollback).
- ``validation``, ``schemas``, ``present``: input at the edge, bodies, rows as bodies.
- ``errors``: one JSON error shape with stable codes; ``openapi``: the document.
- ``views/``: the operations, one module per resource.
"""

from __future__ import annotations

from flask import Blueprint

from web.api import auth, errors
from web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The API applies its own CSRF rule (``web.api.auth``): cookie-authenticated writes need the
# X-CSRFToken header; bearer-token requests need none.
csrf.exempt(bp)
bp.before_request(auth.authenticate_request)
errors.register(bp)

from web.api.views import actions, cycles, dialogue, examples, meta  # noqa: E402  (routes)

__all__ = ["actions", "bp", "cycles", "dialogue", "examples", "meta"]
