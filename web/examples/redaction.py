"""Redaction: make an example text safe before anyone outside the team sees it.

Pure Python (no Flask, no database). Two entry points:

* :class:`Redactor` is built once per directory (the tenant's people) and then redacts many texts:
  names of the tenant's own people, e-mail addresses, phone numbers and CPR numbers.
* :func:`redact_contacts` redacts e-mail addresses, phone numbers and CPR numbers only.

Every hit becomes a :class:`Finding` whose offsets index the *original* text, so a page can
highlight the hits in the original beside the redacted text. Hits are replaced by the Danish tokens
in :data:`TOKENS`.

What counts as a name (for a directory entry such as "Anne Marie Holm Hansen"):

* the full name, and the first given name + the last surname ("Anne Hansen"), and the first given
  name + any selection of the middle names + the last surname ("Anne Marie Hansen",
  "Anne Holm Hansen"). An entry written "Hansen, Anne Marie" is read as "Anne Marie Hansen" too;
* the Danish genitive of each of those: "Anne Hansens"; after a final s, x or z an apostrophe,
  "Lars Mads'" (typographic apostrophes ’ ´ ʼ are read as ');
* matched as whole words (a letter or digit on either side blocks the match; ``_``, ``*`` and other
  punctuation do not, so Markdown emphasis is still redacted), case-insensitively, with any run
  of whitespace or hyphens between the parts ("Hanne\\n   Jensen"; "Anne-Marie Holm" matches
  "Anne Marie Holm" and vice versa);
* text in brackets is dropped from a directory entry ("Hanne Jensen (HJE)" is "Hanne Jensen");
* a directory entry of one word only ("Bo") is ignored: on its own it is a first name.

Lone first names: a first name on its own is redacted only in a text that also names the same
person in full (or first + last name), e.g. "Hanne Jensen tog ordet. Bagefter sagde Hanne ...":
there the lone "Hanne" almost surely points back at the person just redacted and would undo the
redaction for any reader who knows the team. Elsewhere lone first names are left alone: many Danish
first names are ordinary words ("Bo", "Said", "Mark", "Have") and one in the directory would
otherwise blank out every occurrence in every text. The rule is cheap (a few ``str.find`` calls,
only for texts that contained a full name) and covers the genitive too ("Hannes"). Its price: in a
text naming "Bo Nielsen", the verb "bo" is redacted as well.

Overlaps: findings that overlap are merged into one finding spanning all of them (so the longest
name wins and nothing of a partly overlapping hit is left behind). The merged finding takes the
strongest kind, in the order e-mail > CPR > phone > name; so a CPR number that a phone pattern also
touches is reported (and replaced) as CPR.

Phone numbers: eight digits written ``12345678``, ``12 34 56 78``, ``12.34.56.78`` or ``1234 5678``,
optionally preceded by ``+45``, ``0045``, ``(+45)`` or ``45`` (with or without a space). Another
digit on either side, directly or behind a decimal point or comma, blocks the match, so longer
numbers, dates (``12.05.2024``) and amounts (``12.345 kr.``) are not phones; letters do not block
it ("tlf12345678"). Any first digit is accepted (an eight-digit case number may be redacted too;
over-redaction is the safe side).

CPR numbers: ``DDMMYY-XXXX``, ``DDMMYYXXXX`` or ``DDMMYY XXXX`` (also with an en dash) with a
plausible day (01-31) and month (01-12), bounded by digits like phone numbers. The modulus-11 check
is deliberately not applied: CPR numbers issued since 2007 need not pass it.

Not covered: obfuscated e-mails ("hanne (at) kommune.dk"), initials ("Hanne J."), a person's second
given name used alone, names of people outside the directory.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import ahocorasick

__all__ = ["TOKENS", "Finding", "Kind", "Redacted", "Redactor", "redact_contacts"]

Kind = Literal["name", "email", "phone", "cpr"]

#: The replacement token of each kind of finding.
TOKENS: dict[str, str] = {
    "name": "[navn]",
    "email": "[e-mail]",
    "phone": "[telefon]",
    "cpr": "[cpr]",
}

# When findings overlap, the merged finding takes the kind with the highest rank.
_RANK: dict[str, int] = {"name": 0, "phone": 1, "cpr": 2, "email": 3}


@dataclass(frozen=True)
class Finding:
    """One thing redacted: ``original_text[start:end]`` was replaced by ``TOKENS[kind]``."""

    kind: Kind
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    """The redacted text and what was found, in order of position (offsets into the original)."""

    text: str
    findings: tuple[Finding, ...]


# --- contacts: e-mail, phone, CPR (regular expressions on the original text) -------------------

_NOT_AFTER_DIGIT = r"(?<!\d)"
_NOT_BEFORE_DIGIT = r"(?!\d)"
_NOT_IN_NUMBER = r"(?<![0-9][.,])"  # not the decimals / thousands of a number ("1.12345678")
_NOT_NUMBER_GOES_ON = r"(?![.,][0-9])"  # not followed by more of a number ("12345678,5")
_SP = "[ \u00a0\u202f]"  # a space inside a number: space, no-break space, narrow no-break space

# Cheap pre-checks: no phone or CPR number without eight digits close together.
_DIGIT_RUN = re.compile(r"[0-9](?:[^0-9A-Za-z]?[0-9]){7}")
_EMAIL_LOCAL = frozenset(".%+'-_")
_EMAIL_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")

_PHONE_BODY = (
    rf"(?:[0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{2}}"  # 12 34 56 78
    r"|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{2}"  # 12.34.56.78
    rf"|[0-9]{{4}}{_SP}[0-9]{{4}}"  # 1234 5678
    r"|[0-9]{8})"  # 12345678
)
_PHONE_PREFIX = rf"(?:(?:(?:\+|00)45|\(\+?45\)|45){_SP}?)?"
# The leading (?=[...]) lets the regex engine skip quickly to candidate positions.
_PHONE = re.compile(
    rf"(?=[+(0-9]){_NOT_AFTER_DIGIT}(?<!\+){_NOT_IN_NUMBER}{_PHONE_PREFIX}{_PHONE_BODY}"
    rf"{_NOT_BEFORE_DIGIT}{_NOT_NUMBER_GOES_ON}"
)

_CPR = re.compile(
    rf"(?=[0-3]){_NOT_AFTER_DIGIT}{_NOT_IN_NUMBER}"
    r"(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}"  # DDMMYY
    rf"(?:[-\u2010\u2011\u2013]|{_SP})?[0-9]{{4}}"  # -XXXX
    rf"{_NOT_BEFORE_DIGIT}{_NOT_NUMBER_GOES_ON}"
)


def _email_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Each "@" with a local part before it and a dotted domain after it."""
    at = text.find("@")
    while at != -1:
        domain = _EMAIL_DOMAIN.match(text, at + 1)
        if domain:
            start = at
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _EMAIL_LOCAL):
                start -= 1
            while start < at and not (text[start].isalnum() or text[start] == "_"):
                start += 1  # a local part does not start with . % + ' -
            if start < at:
                yield start, domain.end(), "email"
        at = text.find("@", at + 1)


def _contact_spans(text: str) -> Iterator[tuple[int, int, str]]:
    if "@" in text:
        yield from _email_spans(text)
    if _DIGIT_RUN.search(text):
        for m in _CPR.finditer(text):
            yield m.start(), m.end(), "cpr"
        # Matches starting at every position, so overlapping groupings ("1234 5678 9012") are
        # merged later instead of leaving a tail behind.
        m = _PHONE.search(text)
        while m:
            yield m.start(), m.end(), "phone"
            m = _PHONE.search(text, m.start() + 1)


# --- folding: the text the name automaton searches ----------------------------------------------

# Folding maps apostrophe look-alikes to "'" and whitespace and hyphens to " ", then shortens each
# run of separators to one space. Most texts need none of that: _ODD, a single character class (fast
# to scan), says whether a text does. The slow path folds character by character instead.
_APOSTROPHES = "’´ʼ`"
_WHITESPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())
_SEPARATORS = re.escape(_WHITESPACE + "-\u2010\u2011")  # whitespace and hyphens
_ODD_SEPARATORS = re.escape(_WHITESPACE.replace(" ", "") + "-\u2010\u2011")  # all but " "
_ODD = re.compile(f"[{_ODD_SEPARATORS}{_APOSTROPHES}]|  ")
_FIX = re.compile(f"[{_SEPARATORS}]{{2,}}|[{_ODD_SEPARATORS}]|([{_APOSTROPHES}])")
_RUNS = re.compile(f"[{_SEPARATORS}]{{2,}}")
_FOLD_TABLE = str.maketrans(
    dict.fromkeys(_APOSTROPHES, "'") | dict.fromkeys(_WHITESPACE + "-\u2010\u2011", " ")
)


def _canon(m: re.Match[str]) -> str:
    return "'" if m.group(1) else " "


def _fold_lower(low: str) -> str:
    return _FIX.sub(_canon, low) if _ODD.search(low) else low


def _fold(s: str) -> str:
    """NFC, lower case, apostrophes as ', each run of whitespace and hyphens as one space."""
    return _fold_lower(unicodedata.normalize("NFC", s).lower())


class _Folded:
    """A text folded like the directory names, with a map from folded offsets back to the original.

    The fast path (NFC text whose lower case has the same length, i.e. practically every text)
    keeps only the positions where a run of separators was shortened; the slow path keeps the
    original span of every folded character.
    """

    __slots__ = ("_ends", "_seg_folded", "_seg_orig", "_starts", "text")

    def __init__(self, original: str) -> None:
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None
        self._seg_folded: list[int] = [0]
        self._seg_orig: list[int] = [0]
        low = original.lower()
        if len(low) == len(original) and unicodedata.is_normalized("NFC", original):
            self.text = _fold_lower(low)
            if len(self.text) != len(original):
                shift = 0
                for m in _RUNS.finditer(low):
                    a, b = m.span()
                    shift += b - a - 1
                    self._seg_folded.append(b - shift)
                    self._seg_orig.append(b)
        else:
            self._slow(original)

    def _slow(self, original: str) -> None:
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        i, n = 0, len(original)
        while i < n:
            j = i + 1
            while j < n and unicodedata.combining(original[j]):
                j += 1
            piece = unicodedata.normalize("NFC", original[i:j]).lower().translate(_FOLD_TABLE)
            for c in piece:
                if c == " " and chars and chars[-1] == " ":
                    ends[-1] = j
                    continue
                chars.append(c)
                starts.append(i)
                ends.append(j)
            i = j
        self.text = "".join(chars)
        self._starts, self._ends = starts, ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded span [start, end) (which must not end in a separator)."""
        if self._starts is not None and self._ends is not None:
            return self._starts[start], self._ends[end - 1]
        return self._orig(start), self._orig(end - 1) + 1

    def _orig(self, i: int) -> int:
        k = bisect_right(self._seg_folded, i) - 1
        return self._seg_orig[k] + i - self._seg_folded[k]


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _is_word(c: str) -> bool:
    return c.isalnum() or unicodedata.category(c)[0] == "M"


def _genitive(folded: str) -> tuple[str, ...]:
    """Danish genitive: "jensen" -> "jensens", "lars mads" -> "lars mads'"."""
    return (folded + "'",) if folded[-1] in "sxz" else (folded + "s",)


def _variants(display_name: str) -> tuple[str, list[str]] | None:
    """(folded first given name, folded name variants incl. genitives) of one directory entry."""
    raw = name = _BRACKETED.sub(" ", display_name).strip()  # "Hanne Jensen (HJE)"
    if name.count(",") == 1:  # "Hansen, Anne Marie"
        last, given = (part.strip() for part in name.split(","))
        if last and given:
            name = f"{given} {last}"
    tokens = [t for t in (_fold(t).strip() for t in name.split()) if any(map(str.isalnum, t))]
    if len(tokens) < 2:
        return None
    first, middle, last = tokens[0], tokens[1:-1], tokens[-1]
    forms = {" ".join(tokens)}
    if len(middle) <= 4:  # 16 selections at most; longer names keep full and first + last
        for k in range(len(middle) + 1):
            for chosen in combinations(middle, k):
                forms.add(" ".join((first, *chosen, last)))
    else:
        forms.add(f"{first} {last}")
    if name != raw:
        forms.add(_fold(raw).strip())  # "hansen, anne marie" as written
    out = [f for form in forms for f in (form, *_genitive(form))]
    return first, out


# --- the redactor --------------------------------------------------------------------------------


class Redactor:
    """Redacts the names of one directory (plus e-mails, phones and CPR numbers) from texts.

    Building folds every name into its variants and compiles one Aho-Corasick automaton (about a
    second for 50,000 names); :meth:`redact` then costs time linear in the text, whatever the size
    of the directory. Build one per directory version and reuse it; the automaton is not modified
    after construction.
    """

    __slots__ = ("_automaton", "_patterns")

    def __init__(self, names: Iterable[str]) -> None:
        if isinstance(names, str):
            raise TypeError("names must be an iterable of display names, not one string")
        firsts_of: dict[str, set[str]] = {}
        for display_name in names:
            parsed = _variants(display_name)
            if parsed is None:
                continue
            first, forms = parsed
            for form in forms:
                firsts_of.setdefault(form, set()).add(first)
        self._patterns = len(firsts_of)
        self._automaton: ahocorasick.Automaton | None = None
        if firsts_of:
            automaton = ahocorasick.Automaton()
            for form, firsts in firsts_of.items():
                automaton.add_word(form, (len(form), tuple(sorted(firsts))))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def patterns(self) -> int:
        """How many distinct name forms (variants and genitives) the automaton holds."""
        return self._patterns

    def redact(self, text: str) -> Redacted:
        """Replace names, e-mails, phone numbers and CPR numbers in ``text`` by tokens."""
        spans = list(_contact_spans(text))
        if self._automaton is not None:
            spans.extend(self._name_spans(text))
        return _apply(text, spans)

    def _name_spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        assert self._automaton is not None
        folded = _Folded(text)
        hay = folded.text
        n = len(hay)
        found: list[tuple[int, int]] = []
        firsts: set[str] = set()
        for last_index, (length, first_names) in self._automaton.iter(hay):
            start, end = last_index - length + 1, last_index + 1
            if (start > 0 and _is_word(hay[start - 1])) or (end < n and _is_word(hay[end])):
                continue
            found.append((start, end))
            firsts.update(first_names)
        for first in firsts:  # lone first names, only of people named in full in this text
            for form in (*_genitive(first), first):
                at = hay.find(form)
                while at != -1:
                    end = at + len(form)
                    if not (at > 0 and _is_word(hay[at - 1])) and not (
                            end < n and _is_word(hay[end])):
                        found.append((at, end))
                    at = hay.find(form, at + 1)
        for start, end in found:
            orig_start, orig_end = folded.span(start, end)
            yield orig_start, orig_end, "name"


def redact_contacts(text: str) -> Redacted:
    """Replace e-mail addresses, phone numbers and CPR numbers in ``text`` (no names)."""
    return _apply(text, list(_contact_spans(text)))


def _apply(text: str, spans: list[tuple[int, int, str]]) -> Redacted:
    """Merge overlapping spans (strongest kind wins) and replace each by its token."""
    if not spans:
        return Redacted(text, ())
    spans.sort()
    merged: list[list] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if _RANK[kind] > _RANK[last[2]]:
                last[2] = kind
        else:
            merged.append([start, end, kind])
    parts: list[str] = []
    pos = 0
    for start, end, kind in merged:
        parts.append(text[pos:start])
        parts.append(TOKENS[kind])
        pos = end
    parts.append(text[pos:])
    return Redacted("".join(parts), tuple(Finding(k, s, e) for s, e, k in merged))
