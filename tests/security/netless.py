"""The app without its input nets, to test the error path under them.

The request guard (``web.requestguard``) and the 400 for values the database refuses stop bad
input long before a 500; to show that the 500 itself is safe (a broken session, a template that
fails) these tests need input that reaches the database. ``strip_nets`` takes the nets off an
app before its first request and adds one route that answers any status (415 and 500 have no
page of their own to provoke), also under the API's prefix. ``create_app`` is the same for gunicorn:
``tests.security.netless:create_app()``.
"""

from __future__ import annotations

from flask import Flask, abort
from sqlalchemy.exc import DataError

import web
from web import inputs, requestguard

STATUS_ROUTES = ("/_test/status/<int:code>", "/t/<tenant>/api/v1/_test/status/<int:code>")


def strip_nets(app: Flask, *, keep_database_refusal: bool = False) -> Flask:
    app.url_value_preprocessors[None].remove(requestguard.check_request)
    if not keep_database_refusal:
        app.error_handler_spec[None][None].pop(DataError)
    # The forms' and API's per-field rule (web.inputs) is the same net one level down: off for
    # this app's requests only, so other apps in the same process keep it.
    field_rule = inputs.forbidden_character  # (not ``rule``: the loop below reuses that name)

    @app.before_request
    def _without_the_field_rule() -> None:
        inputs.forbidden_character = lambda text: False

    @app.teardown_request
    def _with_the_field_rule(exc: BaseException | None) -> None:
        inputs.forbidden_character = field_rule

    def any_status(code: int, tenant: str | None = None):
        if code == 500:
            raise RuntimeError("a bug")
        abort(code)

    for index, rule in enumerate(STATUS_ROUTES):
        app.add_url_rule(rule, f"test_status_{index}", any_status, methods=["GET", "POST"])
    return app


def create_app() -> Flask:
    return strip_nets(web.create_app())
