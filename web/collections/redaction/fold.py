"""Folding: the text the matchers search, with a map from every folded offset back to the original.

Two levels, each a plain string plus an :class:`OffsetMap`:

* :func:`fold_contacts` — what the contact matchers (CPR, phones, e-mails) read: Unicode NFKC
  (fullwidth "＠" and digits become ASCII), lower case, confusable letters folded to their Latin
  look-alikes (a Cyrillic "е" reads as "e"), the Danish letters in one spelling (ø/ö → o,
  æ/ä → a, å → a, é/è/ü/... without their accents), typographic apostrophes as ``'``,
  zero-width characters and soft hyphens removed, a hyphen + line break between letters joined
  ("Sø-\\nren" → "soren"), every run of whitespace one space.
  All of it one ``str.translate`` (plus a squeeze where needed).
* :func:`fold_names` — that, then oe → o, ae → a, aa → a, a hyphen between letters as a space
  ("Anne-Marie"), and single letters spelt out with dots joined ("S.ø.r.e.n" → "soren").
  Names in the directory are folded by the same function, so a text matches any spelling.

The confusables table comes from ``confusable-homoglyphs`` (Unicode's confusables.txt, packaged
and maintained; chosen over ``confusables`` for its plain JSON data and recent releases): every
non-ASCII letter whose look-alike is one ASCII letter folds to it.

Cost: one ``str.translate`` (a lazily filled table) and a few ``re.sub`` passes, all linear in the
text; texts already in NFKC (practically all) skip the per-character NFKC pass.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

__all__ = ["Folded", "OffsetMap", "fold_contacts", "fold_key", "fold_names"]

_GONE = "\x00"  # what the table maps removed characters to; squeezed out afterwards
_ZERO_WIDTH = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u034f"
_APOSTROPHES = "’´ʼ`‘′"
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212\u00ac"  # read as "-" (¬ is an old soft-hyphen stand-in)


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    from confusable_homoglyphs import confusables

    table: dict[str, str] = {}
    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        for glyph in glyphs:
            c = glyph["c"]
            if len(c) == 1 and c.isascii() and c.isalpha():
                table[char] = c.lower()
                break
    return table


_KEEP = frozenset("æøåäöü")


class _Table(dict):
    """str.translate's table, each character folded on first use: always one character out."""

    def __missing__(self, code: int) -> int:
        c = chr(code)
        if c in _ZERO_WIDTH:
            out = _GONE
        elif c in _APOSTROPHES:
            out = "'"
        elif c in _HYPHENS:
            out = "-"
        elif c in "\n\r\u2028\u2029\x0b\x0c\x85":
            out = "\n"
        elif c.isspace():
            out = " "
        else:
            low = c.lower()
            if len(low) != 1:
                low = c
            if not low.isascii() and low not in _KEEP:
                low = _confusables().get(low, low)
            out = low if len(low) == 1 else c
            out = chr(_NAME_TABLE[ord(out)])  # ø → o etc.: harmless for the contact matchers
        self[code] = ord(out)
        return ord(out)


class _NameTable(dict):
    """Second level: Danish and accented letters in one spelling (one character out)."""

    _FIXED = {
        "ø": "o",
        "ö": "o",
        "æ": "a",
        "ä": "a",
        "å": "a",
        "ü": "u",
        "ß": "s",
        "ð": "d",
        "þ": "t",
        "ł": "l",
        "đ": "d",
        "ı": "i",
    }

    def __missing__(self, code: int) -> int:
        c = chr(code)
        out = self._FIXED.get(c)
        if out is None:
            base = "".join(
                x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x)
            )
            out = base if len(base) == 1 else c
        self[code] = ord(out)
        return ord(out)


_NAME_TABLE = _NameTable()
_TABLE = _Table()


class OffsetMap:
    """Folded offsets → original offsets, kept as the replaced pieces (usually none)."""

    __slots__ = ("_folded", "_pieces")

    def __init__(self, pieces: list[tuple[int, int, int, int]]) -> None:
        # (folded start, folded end, original start, original end), in order
        self._pieces = pieces
        self._folded = [p[0] for p in pieces]

    def start(self, f: int) -> int:
        k = bisect_right(self._folded, f) - 1
        if k < 0:
            return f
        f0, f1, o0, o1 = self._pieces[k]
        if f < f1:
            return min(o0 + (f - f0), o1 - 1) if o1 > o0 else o0
        return o1 + (f - f1)

    def end(self, f: int) -> int:
        """The original end of a folded span ending (exclusive) at ``f`` (> 0)."""
        k = bisect_right(self._folded, f - 1) - 1
        if k < 0:
            return f
        f0, f1, o0, o1 = self._pieces[k]
        if f - 1 < f1:
            return o1 if f == f1 else min(o0 + (f - f0), o1)
        return o1 + (f - f1)


_IDENTITY = OffsetMap([])


def _sub(
    pattern: re.Pattern[str],
    repl: Callable[[re.Match[str]], str],
    text: str,
) -> tuple[str, OffsetMap]:
    """``pattern.sub(repl, text)`` plus the map of the pieces it replaced."""
    pieces: list[tuple[int, int, int, int]] = []
    out: list[str] = []
    pos = shift = 0
    for m in pattern.finditer(text):
        a, b = m.span()
        r = repl(m)
        if r == text[a:b]:
            continue
        out.append(text[pos:a])
        out.append(r)
        pieces.append((a - shift, a - shift + len(r), a, b))
        shift += (b - a) - len(r)
        pos = b
    if not pieces:
        return text, _IDENTITY
    out.append(text[pos:])
    return "".join(out), OffsetMap(pieces)


def _nfkc(text: str) -> tuple[str, list[int] | None]:
    """NFKC, with each output character's original index when the text was not NFKC already."""
    if unicodedata.is_normalized("NFKC", text):
        return text, None
    chars: list[str] = []
    where: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j])
        chars.append(piece)
        where.extend([i] * len(piece))
        i = j
    where.append(n)
    return "".join(chars), where


_LETTER = r"[^\W\d_]"
_SQUEEZE = re.compile(
    rf"\x00+"  # zero-width characters, soft hyphens
    rf"|(?<={_LETTER})-[ ]*\n[ \n]*(?={_LETTER})"  # "Sø-\nren"
    r"|[ \n]{2,}|\n"  # a run of whitespace or a line break → one space
)


def _squeeze(m: re.Match[str]) -> str:
    s = m.group()
    if s[0] == _GONE or s[0] == "-":
        return ""
    return " "


# "s.ø.r.e.n": from the first dot after a single letter; the letters stay, the dots go.
_SPELT = re.compile(
    rf"[.·](?<=(?<![^\W_]){_LETTER}[.·]) ?{_LETTER}(?![^\W_])"
    rf"(?:[.·] ?{_LETTER}(?![^\W_]))+[.·]?"
)
_SECOND = re.compile(rf"(?<={_LETTER})-(?={_LETTER})|oe|ae|aa")  # "anne-marie" → "anne marie"


def _second(m: re.Match[str]) -> str:
    s = m.group()
    return " " if s == "-" else s[0]  # oe → o, ae → a, aa → a


def _unspell(m: re.Match[str]) -> str:
    return "".join(c for c in m.group() if c not in ". ·")


class Folded:
    """A folded text and the way back: :meth:`span` maps a folded span to the original's."""

    __slots__ = ("_maps", "_nfkc", "text")

    def __init__(self, text: str, nfkc: list[int] | None, maps: tuple[OffsetMap, ...]) -> None:
        self.text = text
        self._nfkc = nfkc
        self._maps = maps

    def span(self, start: int, end: int) -> tuple[int, int]:
        for m in reversed(self._maps):
            if m is not _IDENTITY:
                start, end = m.start(start), m.end(end)
        if self._nfkc is not None:
            where = self._nfkc
            while end < len(where) - 1 and where[end] == where[end - 1]:
                end += 1  # an NFKC piece of one original character: take all of it
            start, end = where[start], where[end]
        return start, end


def fold_contacts(text: str) -> Folded:
    normal, where = _nfkc(text)
    low = normal.translate(_TABLE)
    if "\x00" in low or "\n" in low or "  " in low:
        low, first_map = _sub(_SQUEEZE, _squeeze, low)
    else:
        first_map = _IDENTITY
    return Folded(low, where, (first_map,))


def fold_names(contacts: Folded) -> Folded:
    """The name level on top of :func:`fold_contacts`' result."""
    text = contacts.text  # already in one spelling (the table folds Danish letters too)
    maps = list(contacts._maps)
    if "." in text or "·" in text:
        text, spelt_map = _sub(_SPELT, _unspell, text)
        maps.append(spelt_map)
    if "-" in text or "oe" in text or "ae" in text or "aa" in text:
        text, second_map = _sub(_SECOND, _second, text)
        maps.append(second_map)
    return Folded(text, contacts._nfkc, tuple(maps))


def fold_key(s: str) -> str:
    """The name-level folding of a short string (a directory name, a list word)."""
    return fold_names(fold_contacts(s)).text.strip()
