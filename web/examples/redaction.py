"""Moved: redaction lives in :mod:`web.collections.redaction` (issue 13); this name stays for
older imports."""

from web.collections.redaction import (
    TOKENS,
    Finding,
    Kind,
    Redacted,
    Redactor,
    erased_digests,
    redact_contacts,
)

__all__ = ["TOKENS", "Finding", "Kind", "Redacted", "Redactor", "erased_digests",
           "redact_contacts"]
