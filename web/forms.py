"""How an HTML form's POST ends, the same on every page.

A view loads its rows, checks access, reads the form and calls a service. A service refuses bad
input by raising ``InputError`` before it writes anything; the view then ends in one of two ways:

- ``saved(message, target)``: the input was accepted. Commit once, flash the translated message
  and redirect (Post/Redirect/Get), so a reload does not post again.
- ``invalid(template_name, errors, **context)``: the input was refused. Roll back anything
  pending (and the tasks waiting for the commit, ``web.tasking.enqueue_after_commit``), so nothing
  of the request can be committed later, and show the form again with each message at its field,
  answering 422.

``form_page`` renders a form that is shown both on GET (200) and after a refused POST (``invalid``).
The JSON API ends its writes the same way in ``web.api.routing.operation``: one commit, or a
rollback and a 422 (409 for a message about the whole form).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template
from werkzeug.wrappers import Response

from web.extensions import db


def saved(message: str, target: str) -> Response:
    """An accepted POST: commit once, say so, and go on to ``target``."""
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def invalid(template_name: str, errors: Mapping[str, str], /,
            **context: Any) -> tuple[str, int]:
    """A refused POST: drop anything pending, show the form again with its messages, 422.

    ``context`` is built by the caller before this rollback; it shows the rows as they are
    because a service raises before it writes.
    """
    db.session.rollback()
    return render_template(template_name, errors=errors, **context), 422


def form_page(template_name: str, errors: Mapping[str, str] | None = None, /,
              **context: Any) -> tuple[str, int]:
    """A form as first shown (200), or, with ``errors``, again after a refused POST (422)."""
    if errors:
        return invalid(template_name, errors, **context)
    return render_template(template_name, errors={}, **context), 200
