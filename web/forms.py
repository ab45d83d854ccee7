"""How an HTML form's POST ends, the same on every page.

A view loads its rows, checks access, reads the form (with the kinds of ``web.inputs``, the
API's too) and calls a service. A service refuses by raising one of ``web.errors``: an
``InputError`` (bad input, a message per field) or a ``Conflict`` (the row's state does not allow
it), before it writes anything; the view then ends in one of two ways:

- ``saved(message, target)``: the input was accepted. Commit once, flash the translated message
  and redirect (Post/Redirect/Get), so a reload does not post again.
- ``invalid(template_name, errors, **context)``: the input was refused (``errors``: the
  refusal itself, or its field → message mapping). Roll back anything
  pending (and the tasks waiting for the commit, ``web.tasking.enqueue_after_commit``), so nothing
  of the request can be committed later, and show the form again with each message at its field,
  answering 422.

``form_page`` renders a form that is shown both on GET (200) and after a refused POST (``invalid``).
The JSON API ends its writes the same way in ``web.api.routing.operation``: one commit, or a
rollback and a 422 for an ``InputError``, a 409 for a ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template
from werkzeug.wrappers import Response

from web.errors import Refusal
from web.extensions import db

Errors = Mapping[str, str] | Refusal


def saved(message: str, target: str) -> Response:
    """An accepted POST: commit once, say so, and go on to ``target``."""
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def invalid(template_name: str, errors: Errors, /, **context: Any) -> tuple[str, int]:
    """A refused POST: drop anything pending, show the form again with its messages, 422.

    ``context`` is built by the caller before this rollback; it shows the rows as they are
    because a service raises before it writes.
    """
    db.session.rollback()
    if isinstance(errors, Refusal):
        errors = errors.errors
    return render_template(template_name, errors=errors, **context), 422


def form_page(
    template_name: str, errors: Errors | None = None, /, **context: Any
) -> tuple[str, int]:
    """A form as first shown (200), or, with ``errors``, again after a refused POST (422)."""
    if errors:
        return invalid(template_name, errors, **context)
    return render_template(template_name, errors={}, **context), 200
