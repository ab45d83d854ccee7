"""The one vocabulary for a refused request: bad input, or a state that does not allow it.

Services raise these before they write anything; both edges end the same way with them:

- ``InputError``: the input itself is wrong (a field too long, a date out of range, an owner
  who is not on the team). ``errors`` maps a form field's name to a translated message; the
  key ``FORM`` holds a message about the input as a whole ("write at least one answer").
  A page shows each message at its field and answers 422; the API answers 422
  ``validation_failed`` with the same messages.
- ``Conflict``: the input is fine but the object's current state does not allow it (the
  cycle is closed, has moved on, the example changed since it was opened). A page shows the
  message above the form (422, like any refused POST); the API answers 409 ``conflict``.

The API never guesses one from the other: the service says which it means by the type it
raises. ``Refusal`` is what both are, for a view that ends either the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

FORM = "_form"  # the key of a message about the form as a whole rather than one field


class Refusal(ValueError):
    """A request refused before anything was written; ``errors``: field → translated message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @property
    def message(self) -> str | None:
        """The message about the form as a whole, if any."""
        return self.errors.get(FORM)


class InputError(Refusal):
    """Bad input: one translated message per bad field (and optionally one for the form)."""

    def __init__(self, errors: Mapping[str, str], message: str | None = None):
        merged = dict(errors)
        if message is not None:
            merged.setdefault(FORM, message)
        super().__init__(merged)


class Conflict(Refusal):
    """The object's current state does not allow the request (the API's 409)."""

    def __init__(self, message: str):
        super().__init__({FORM: message})


def raise_if(errors: Mapping[str, str]) -> None:
    """Raise the ``InputError`` of ``errors`` when there are any."""
    if errors:
        raise InputError(errors)
