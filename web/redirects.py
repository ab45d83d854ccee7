"""The one check for every redirect target that came from the request (``next``, a Referer,
a post-login target): only a path on this site, never another host.

Browsers are lenient with ``Location``: they drop tabs and newlines (``/\\t/evil.example`` is
``//evil.example``, a scheme-relative URL), treat ``\\`` as ``/`` (``/\\evil.example``), and
follow ``https:evil.example``. So rather than looking for bad forms, a target must be plainly
good: an absolute path that does not start with ``//``, with no control character or backslash
anywhere, that ``urlsplit`` reads as a path with no scheme and no host.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_TARGET_LENGTH = 500


def safe_target(target: object, *, within: str = "/") -> str | None:
    """``target`` if it is a path of this site under ``within``, else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch < " " or ch in "\\\x7f" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(within):
        return None
    # ``/t/a/../b/`` would leave ``within`` once the browser resolves it (``%2e`` included).
    if any(segment in {".", ".."} for segment in unquote(parts.path).split("/")):
        return None
    return target
