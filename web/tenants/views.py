from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from web.tenants.models import Tenant

bp = Blueprint("tenants", __name__, template_folder="templates")
public_bp = Blueprint("public", __name__, template_folder="templates")


@public_bp.get("/")
def index():
    demo = None
    if current_app.config["ENV"] != "production":
        from web.extensions import db

        demo = db.session.scalar(db.select(Tenant).filter_by(slug="demo"))
    return render_template("tenants/index.html", demo=demo)


@bp.get("/")
def home():
    if g.get("user") is not None:
        from web.dashboards.views import employee_home

        return employee_home()
    return render_template("tenants/home.html", tenant=g.tenant)
