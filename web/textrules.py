"""The one rule for the characters that text from outside may hold.

Text may hold any character but NUL, the other C0 control characters (tab, line feed and
carriage return excepted), DEL, the C1 control characters and lone surrogates. PostgreSQL cannot
store NUL at all, a lone surrogate cannot be encoded as UTF-8 (so neither driver nor e-mail can
send it), and control characters are never text a person typed: they break mail headers,
terminals and CSV files. The request guard (``web.requestguard``) refuses them at the edge; the
forms' and the API's field checks use the same function for their per-field messages.
"""

from __future__ import annotations

import re

# C0 minus \t \n \r, DEL and C1 (U+007F-U+009F), and the surrogate block U+D800-U+DFFF (which
# also holds the bytes of invalid UTF-8 decoded with errors="surrogateescape").
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> bool:
    """Whether ``text`` holds a character that no text field may hold."""
    return _FORBIDDEN.search(text) is not None
