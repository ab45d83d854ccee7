"""Health endpoints for load balancers."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for

from web.ops import checks
from web.redirects import safe_target

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    results = checks.readiness(current_app)
    ready = all(r["ok"] for r in results.values())
    return {"status": "ready" if ready else "unavailable", "checks": results}, 200 if ready else 503


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_target(request.form.get("next")) or url_for("public.index"))
