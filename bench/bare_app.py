"""The bare stack the web benchmark compares the product with: Flask + Flask-SQLAlchemy only.

    gunicorn -c web/gunicorn_conf.py 'bench.bare_app:create_app()'

Same gunicorn settings, same database server and database as the product's run. Two endpoints:

- ``GET /items/<id>``: one indexed SELECT (primary key) through the ORM, a small HTML answer;
- ``POST /items``: one INSERT through the ORM and a commit, then a redirect (like a form post).

Its table (``bare_items``, 50,000 rows) is created on first use; it is not part of the product's
schema and lives only in the benchmark database.
"""

from __future__ import annotations

import os

from flask import Flask, abort, redirect, request
from flask_sqlalchemy import SQLAlchemy
from markupsafe import escape
from sqlalchemy import String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 50_000


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Item(db.Model):
    __tablename__ = "bare_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(4000))


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    options: dict = {"pool_pre_ping": True}  # as the product's
    if os.environ.get("DATABASE_TRANSACTION_POOLER", "").lower() in {"1", "true", "yes"}:
        # Through PgBouncer in transaction mode, as the product (web/timeouts.py): no
        # server-side prepared statements.
        options["connect_args"] = {"prepare_threshold": None}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)

    @app.get("/items/<int:item_id>")
    def show(item_id: int):
        item = db.session.get(Item, item_id)
        if item is None:
            abort(404)
        return f"<!doctype html><title>{escape(item.name)}</title><p>{escape(item.note)}</p>"

    @app.post("/items")
    def add():
        item = Item(name=request.form.get("name", "")[:200], note=request.form.get("note", ""))
        db.session.add(item)
        db.session.commit()
        return redirect(f"/items/{item.id}")

    return app


def prepare(owner_url: str, app_role: str) -> None:
    """Create and fill ``bare_items`` as the database owner and let ``app_role`` (the role the
    product connects as, too) use it. Idempotent; the INSERT benchmark's rows are dropped."""
    from sqlalchemy import create_engine

    engine = create_engine(owner_url)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
        conn.execute(text(f"GRANT SELECT, INSERT ON bare_items TO {app_role}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE bare_items_id_seq TO {app_role}"))
        conn.execute(text("DELETE FROM bare_items WHERE id > :n"), {"n": ROWS})
        conn.execute(
            text(
                "INSERT INTO bare_items (id, name, note) SELECT i, 'Item ' || i, repeat('x', 100) "
                "FROM generate_series(1, :n) i ON CONFLICT DO NOTHING"
            ),
            {"n": ROWS},
        )
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('bare_items', 'id'), :n)"), {"n": ROWS}
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE bare_items"))
    engine.dispose()
