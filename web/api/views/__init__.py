"""The API's operations, one module per resource; each registers on ``web.api.bp``."""

from __future__ import annotations

from typing import TypeVar

from werkzeug.exceptions import NotFound

from web.tenancy import get_or_404

T = TypeVar("T")


def find(model: type[T], ident: int | None) -> T | None:
    """A row named in a request body, or None (a missing id and another tenant's look alike)."""
    if ident is None:
        return None
    try:
        return get_or_404(model, ident)
    except NotFound:
        return None
