"""A person's own settings: the language they choose, who may see their answers by default."""

from __future__ import annotations

from typing import Literal

from web.errors import InputError
from web.inputs import read
from web.users.models import User

Language = Literal["da", "en"]


def choose_language(person: User, raw: object) -> bool:
    """Set the person's language ("" or absent: none of their own, so their login profile's,
    else the browser's); True when it changed. Refuses a language the product does not speak,
    changing nothing."""
    errors: dict[str, str] = {}
    choice = read(errors, "language", raw, Language)
    if errors:
        raise InputError(errors)
    changed = person.chosen_locale != choice
    person.chosen_locale = choice
    return changed
