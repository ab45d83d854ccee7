"""The redactor: certain findings replaced, possible findings reported, offsets into the original.

:class:`Redactor` is built once per directory version (building indexes the folded name parts:
dictionaries and sets, no automaton, about a second for 50,000 names) and then redacts many texts
in time linear in each text:

1. fold the text once (fold.py) and search the contact level for e-mails, CPR and phones;
2. walk the name level's tokens once: windows of up to six tokens are matched against the
   directory (names.py) and, when people were erased, their salted hashes;
3. merge overlapping findings (the strongest kind wins: e-mail > CPR > phone > name) and map
   every one back to the original text.

*Certain* findings (the directory's name forms, contacts, erased people's names) are replaced by
:data:`TOKENS`. *Possible* findings are not replaced but reported in :attr:`Redacted.possible`:
a capitalised word that is a colleague's lone first or middle name, or a first name or surname of
the shipped lists (a citizen, a relative), and a capitalised pair starting with one of those. A
possible finding that is an ordinary Danish word (names.ORDINARY) is not one at the start of a
sentence; in lower case no lone word is ever a finding. A lone first name of someone the same
text names in full is certain (it points back at the person just redacted).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

from web.collections.redaction.contacts import contact_spans
from web.collections.redaction.fold import Folded, fold_contacts, fold_names
from web.collections.redaction.names import Directory, forms, list_names, ordinary_words

__all__ = ["TOKENS", "Finding", "Kind", "Redacted", "Redactor", "erased_digests", "redact_contacts"]

Kind = Literal["name", "email", "phone", "cpr"]

#: The replacement token of each kind of finding.
TOKENS: dict[str, str] = {
    "name": "[navn]",
    "email": "[e-mail]",
    "phone": "[telefon]",
    "cpr": "[cpr]",
}

_RANK: dict[str, int] = {"name": 0, "phone": 1, "cpr": 2, "email": 3}
_SPLIT = re.compile(r"([^\W_]+)")
_MAX_WINDOW = 6
_SENTENCE_END = frozenset(".!?:;\n\r\u2022")
_QUOTES = " \t\"'«»“”„‘’()[]-–—*_#>"


@dataclass(frozen=True)
class Finding:
    """``original_text[start:end]``: replaced by ``TOKENS[kind]`` when certain, else flagged."""

    kind: Kind
    start: int
    end: int
    certain: bool = True


@dataclass(frozen=True)
class Redacted:
    """The redacted text, its certain findings and its possible ones (offsets into the original)."""

    text: str
    findings: tuple[Finding, ...]
    possible: tuple[Finding, ...] = ()


def erased_digests(salt: bytes, display_name: str) -> set[str]:
    """The salted hashes an erased person's name leaves behind (no name kept)."""
    return {_digest(salt, f) for f in forms(display_name)}


def _digest(salt: bytes, form: str) -> str:
    return hashlib.blake2b(form.encode(), key=salt[:64], digest_size=16).hexdigest()


class Redactor:
    """Redacts the names of one directory (plus e-mails, phones and CPR numbers) from texts."""

    __slots__ = ("_dir", "_erased", "_listed", "_ordinary", "_salt", "_wanted")

    def __init__(self, names: Iterable[str], erased: Iterable[str] = (), salt: bytes = b"") -> None:
        if isinstance(names, str):
            raise TypeError("names must be an iterable of display names, not one string")
        self._dir = Directory()
        self._dir.add_many(names)
        self._erased = frozenset(erased)
        self._salt = salt
        self._listed = list_names()
        self._ordinary = ordinary_words()
        d = self._dir
        listed = set(self._listed) | {w + "s" for w in self._listed}
        self._wanted = frozenset().union(
            d.firsts,
            d.givens,
            d.lasts,
            d.joined,
            listed,
            {w + "s" for w in d.lasts},
            {w + "s" for w in d.givens},
        )

    @property
    def patterns(self) -> int:
        """How many people's names the redactor knows (erased people's hashes not counted)."""
        return self._dir.people

    def redact(self, text: str) -> Redacted:
        """Replace names, e-mails, phone numbers and CPR numbers in ``text`` by tokens."""
        contacts = fold_contacts(text)
        spans = [(*contacts.span(a, b), k, sure) for a, b, k, sure in contact_spans(contacts.text)]
        names = fold_names(contacts)
        spans.extend(self._name_spans(text, names))
        return _apply(text, spans)

    # --- names ------------------------------------------------------------------------------

    def _name_spans(self, original: str, folded: Folded) -> list[tuple[int, int, str, bool]]:
        d = self._dir
        hay = folded.text
        parts = _SPLIT.split(hay)  # gap, word, gap, word, ..., gap (all in C)
        words = parts[1::2]
        n = len(words)
        wanted = self._wanted
        if self._erased:
            cands = list(range(n))
        else:
            cands = [i for i, w in enumerate(words) if w in wanted or len(w) == 1]
        if not cands:
            return []
        offs = [0, *accumulate(map(len, parts))]  # word i spans offs[2i+1]:offs[2i+2]
        out: list[tuple[int, int, str, bool]] = []
        covered = -1  # words up to this index are in a certain finding already
        named_firsts: set[str] = set()
        lone: list[int] = []  # indexes of words that may be possible lone names

        def gap(i: int) -> str:  # the folded text between word i and word i + 1
            return parts[2 * i + 2]

        def end_of(j: int) -> int:
            end = offs[2 * j + 2]
            return end + 1 if hay[end : end + 1] == "'" else end  # "Mads'"

        taken: set[int] = set()

        def certain(i: int, j: int) -> None:
            nonlocal covered
            out.append((*folded.span(offs[2 * i + 1], end_of(j)), "name", True))
            covered = max(covered, j)
            taken.update(range(i, j + 1))

        for i in cands:
            if i <= covered:
                continue
            key = words[i]
            # a slipped first name before this exact surname: "Christofer Bækgaard"
            if (
                key in d.lasts
                and i - 1 > covered
                and i > 0
                and gap(i - 1) == " "
                and words[i - 1] not in d.firsts
                and any((p, key) in d.pairs for p in d.slipped(words[i - 1], d.firsts))
            ):
                certain(i - 1, i)
                continue
            # first [middles] last
            if key in d.firsts:
                j, found = i, -1
                while j + 1 < n and j - i < _MAX_WINDOW and gap(j) == " ":
                    j += 1
                    last = words[j]
                    mids = words[i + 1 : j]
                    if d.is_person(key, mids, last) or d.is_person(key, mids, _base(last)):
                        found = j
                    elif not (last in d.givens or last in d.lasts):
                        break
                if found >= 0:
                    named_firsts.add(key)
                    certain(i, found)
                    continue
                if i + 1 < n and gap(i) == " ":
                    nxt = words[i + 1]
                    if len(nxt) == 1 and gap(i + 1)[:1] == "." and (key, nxt) in d.first_initial:
                        end = offs[2 * i + 4] + 1
                        out.append((*folded.span(offs[2 * i + 1], end), "name", True))
                        covered = i + 1
                        taken.update((i, i + 1))
                        continue
                    if any((key, p) in d.pairs for p in d.slipped(_base(nxt), d.lasts)):
                        certain(i, i + 1)
                        continue
            # last, first [middles]
            if key in d.lasts and i + 1 < n and gap(i).strip() == ",":
                first = words[i + 1]
                if (first, key) in d.pairs:
                    j = i + 1
                    while (
                        j + 1 < n
                        and gap(j) == " "
                        and words[j + 1] in d.givens
                        and d.is_person(first, words[i + 2 : j + 2], key)
                    ):
                        j += 1
                    certain(i, j)
                    continue
            # initial + last: "s. friis", "s friis"
            if len(key) == 1:
                if i + 1 < n and gap(i) in (". ", " ", "."):
                    last = words[i + 1]
                    if (key, last) in d.initial_last or (key, _base(last)) in d.initial_last:
                        certain(i, i + 1)
                        continue
                if not self._erased:
                    continue
            if key in d.joined:
                certain(i, i)
                continue
            if self._erased:
                hit = self._erased_window(words, i, gap)
                if hit >= 0:
                    certain(i, hit)
                    continue
            lone.append(i)

        # lone words: surnames (certain), first names and listed names (possible)
        for i in lone:
            if i in taken:
                continue
            key = words[i]
            b = _base(key)
            surname = key if key in d.lasts else b if b in d.lasts else None
            given = key if key in d.givens else b if b in d.givens else None
            if not (surname or given or key in self._listed or b in self._listed):
                continue
            start, end = folded.span(offs[2 * i + 1], end_of(i))
            if not original[start : start + 1].isupper():
                continue  # lower case: never a finding
            ordinary = key in self._ordinary or b in self._ordinary
            if ordinary and _sentence_start(original, start):
                continue
            spelt = "." in original[start:end] and len(key) >= 3  # "S.ø.r.e.n": on purpose
            if (given and (given in named_firsts or spelt)) or (surname and not ordinary):
                out.append((start, end, "name", True))
            else:
                if i + 1 < n and gap(i) == " " and not ordinary:  # a name-like pair
                    ns, ne = folded.span(offs[2 * i + 3], end_of(i + 1))
                    if original[ns : ns + 1].isupper():
                        end = ne
                out.append((start, end, "name", False))
        return out

    def _erased_window(self, words: list[str], i: int, gap) -> int:
        """An erased person's name form in the word window starting at ``i``: its last index."""
        n = len(words)
        j, hit = i, -1
        while j + 1 < n and j - i < 4 and gap(j) in (" ", ", ", ","):
            j += 1
            window = words[i : j + 1]
            if (
                _digest(self._salt, " ".join(window)) in self._erased
                or _digest(self._salt, " ".join([*window[:-1], _base(window[-1])])) in self._erased
            ):
                hit = j
        if hit < 0 and len(words[i]) > 5 and _digest(self._salt, words[i]) in self._erased:
            hit = i  # joined "annalarsen"
        return hit


def _base(word: str) -> str:
    """The genitive off: "hansens" → "hansen"."""
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _sentence_start(original: str, start: int) -> bool:
    k = start - 1
    while k >= 0 and original[k] in _QUOTES:
        k -= 1
    return k < 0 or original[k] in _SENTENCE_END


def redact_contacts(text: str) -> Redacted:
    """Replace e-mail addresses, phone numbers and CPR numbers in ``text`` (no names)."""
    contacts = fold_contacts(text)
    return _apply(
        text, [(*contacts.span(a, b), k, sure) for a, b, k, sure in contact_spans(contacts.text)]
    )


def _apply(text: str, spans: list[tuple[int, int, str, bool]]) -> Redacted:
    """Merge overlapping spans (certain over possible, then the strongest kind) and replace the
    certain ones by their tokens."""
    if not spans:
        return Redacted(text, ())
    spans.sort()
    merged: list[list] = []
    for start, end, kind, sure in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if _RANK[kind] > _RANK[last[2]]:
                last[2] = kind
            last[3] = last[3] or sure
        else:
            merged.append([start, end, kind, sure])
    parts: list[str] = []
    pos = 0
    findings: list[Finding] = []
    possible: list[Finding] = []
    for start, end, kind, sure in merged:
        if sure:
            parts.append(text[pos:start])
            parts.append(TOKENS[kind])
            pos = end
            findings.append(Finding(kind, start, end))
        else:
            possible.append(Finding(kind, start, end, certain=False))
    parts.append(text[pos:])
    return Redacted("".join(parts), tuple(findings), tuple(possible))
