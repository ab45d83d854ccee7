"""Name forms of the tenant's people, and the name lists for possible findings.

A directory entry ("Anne Marie Holm Hansen", "Hansen, Bo", "Pia Lund (vikar)") is folded
(fold.fold_key) into tokens: first given name, middle names, surname. The engine matches the
folded text's token windows against a :class:`Directory`:

* first [any selection of the middle names] last, with a genitive on the last ("Hansens",
  "Mads'"); reversed with a comma ("Friis, Søren [Anders]"); initials "S. Friis", "Søren F.";
  joined or hashtag "SørenFriis", "#sorenfriis";
* the surname alone, when it is not an ordinary Danish word (:data:`ORDINARY`) and is written
  with a capital;
* a small spelling slip (one letter left out, added, changed or two swapped) in a first name or
  surname of at least :data:`SLIP_MIN` letters, next to the exact other part of the same person.

Lists (``data/``): first names from the ``gender-guesser`` package's name dictionary (its Denmark
column: names in use in Denmark), surnames from ``data/surnames.txt`` (the most common Danish
surnames after Danmarks Statistik's name statistics), ordinary words from ``data/ordinary.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import combinations

from web.collections.redaction.fold import fold_key

__all__ = ["ORDINARY", "SLIP_MIN", "Directory", "list_names", "ordinary_words", "split_name"]

SLIP_MIN = 6  # letters a name part needs before a one-letter slip is still safely that name
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[^\W_]+")


def _data(name: str) -> list[str]:
    text = resources.files("web.collections.redaction").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    return frozenset(fold_key(w) for w in _data("ordinary.txt"))


ORDINARY = ordinary_words


@lru_cache(maxsize=1)
def list_names() -> frozenset[str]:
    """Folded first names used in Denmark (gender-guesser) and common Danish surnames."""
    names = {fold_key(w) for w in _data("surnames.txt")}
    denmark = 16  # the Denmark column of nam_dict.txt (gender_guesser.detector.Detector.COUNTRIES)
    data = resources.files("gender_guesser").joinpath("data", "nam_dict.txt")
    with data.open(encoding="utf-8") as f:
        for line in f:
            if line[0] in "#=" or len(line) < 31 + denmark:
                continue
            if line[30 + denmark] != " ":
                for part in line.split()[1].replace("+", " ").split():
                    names.add(fold_key(part))
    return frozenset(n for n in names if len(n) > 1)


def split_name(display_name: str) -> list[str] | None:
    """Folded tokens of a display name, given names first; None for a one-word entry."""
    return _tokens(fold_key(display_name))


def split_names(display_names: Iterable[str]) -> Iterator[list[str] | None]:
    """:func:`split_name` of many names, folded as one text (one pass, not one per name)."""
    names = [n.replace("|", " ") for n in display_names]
    if not names:
        return
    folded = fold_key("|".join(names)).split("|")
    assert len(folded) == len(names)
    for name in folded:
        yield _tokens(name)


def _tokens(folded: str) -> list[str] | None:
    name = _BRACKETED.sub(" ", folded).strip()
    if name.count(",") == 1:  # "hansen, anne marie"
        last, given = (part.strip() for part in name.split(","))
        if last and given:
            name = f"{given} {last}"
    tokens = _WORD.findall(name)
    return tokens if len(tokens) >= 2 else None


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def near(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance ≤ 1 (cheap: no table)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        swapped = i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    return a[i + 1 :] == b[i:] if la > lb else a[i:] == b[i + 1 :]


@dataclass
class Directory:
    """The folded name parts of many people, indexed for token-window matching."""

    firsts: set[str] = field(default_factory=set)  # first given names
    givens: set[str] = field(default_factory=set)  # every given name (first and middle)
    lasts: set[str] = field(default_factory=set)  # surnames
    pairs: dict[tuple[str, str], list[frozenset[str]]] = field(default_factory=dict)
    joined: set[str] = field(default_factory=set)  # "sorenfriis"
    initial_last: set[tuple[str, str]] = field(default_factory=set)  # ("s", "friis")
    first_initial: set[tuple[str, str]] = field(default_factory=set)  # ("soren", "f")
    slips: dict[str, set[str]] = field(default_factory=dict)  # deletion → long name parts
    people: int = 0

    def add_many(self, display_names: Iterable[str]) -> None:
        for tokens in split_names(display_names):
            if tokens is not None:
                self._add(tokens)
        for part in self.firsts | self.lasts:  # once per distinct part, not per person
            if len(part) >= SLIP_MIN:
                for d in deletions(part):
                    self.slips.setdefault(d, set()).add(part)

    def _add(self, tokens: list[str]) -> None:
        self.people += 1
        first, middles, last = tokens[0], tokens[1:-1], tokens[-1]
        self.firsts.add(first)
        self.givens.update(tokens[:-1])
        self.lasts.add(last)
        self.pairs.setdefault((first, last), []).append(frozenset(middles))
        self.joined.add(first + last)
        self.joined.add("".join(tokens))
        self.initial_last.add((first[0], last))
        self.first_initial.add((first, last[0]))

    def is_person(self, first: str, middles: list[str], last: str) -> bool:
        options = self.pairs.get((first, last))
        if not options:
            return False
        wanted = set(middles)
        return any(wanted <= m for m in options)

    def slipped(self, token: str, known: set[str]) -> set[str]:
        """The long name parts in ``known`` one slip away from ``token``."""
        if len(token) < SLIP_MIN - 1:
            return set()
        out = {p for p in self.slips.get(token, ()) if p in known}  # a letter left out
        for d in deletions(token):
            if d in known and len(d) >= SLIP_MIN:
                out.add(d)  # a letter added
            out.update(p for p in self.slips.get(d, ()) if p in known and near(p, token))
        return out


def forms(display_name: str) -> list[str]:
    """The folded name forms of one entry that erased-name hashes keep (token windows)."""
    tokens = split_name(display_name)
    if tokens is None:
        return []
    first, middles, last = tokens[0], tokens[1:-1], tokens[-1]
    out = {" ".join(tokens), f"{first} {last}", f"{last} {first}", first + last}
    for k in range(1, min(len(middles), 4) + 1):
        for chosen in combinations(middles, k):
            out.add(" ".join((first, *chosen, last)))
            out.add(" ".join((last, first, *chosen)))
    return sorted(out)
