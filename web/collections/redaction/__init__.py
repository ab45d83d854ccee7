"""Redaction: make a text safe before anyone outside the team sees it (issue 13).

Pure Python (no Flask, no database): fold.py (normalisation with a map back to the original),
contacts.py (CPR, phones, e-mails), names.py (the directory's name forms, the name lists),
engine.py (:class:`Redactor`: certain findings replaced, possible ones reported).
"""

from web.collections.redaction.engine import (
    TOKENS,
    Finding,
    Kind,
    Redacted,
    Redactor,
    erased_digests,
    redact_contacts,
)

__all__ = ["TOKENS", "Finding", "Kind", "Redacted", "Redactor", "erased_digests", "redact_contacts"]
