"""CPR numbers, Danish phone numbers and e-mail addresses in a folded text (see fold.py).

All matchers read :func:`~.fold.fold_contacts`' text (NFKC, lower case, zero-width characters
gone, each whitespace run one space) and yield ``(start, end, kind)`` in its offsets.

* CPR: six digits of a date (``python-stdnum``'s ``dk.cpr.get_birth_date`` decides, with the
  century from the seventh digit; what it refuses only for the day of the month, "300290", is
  still taken: the safe side; the modulus-11 check is not applied, numbers issued since 2007 need
  not pass it), dots or dashes allowed inside the date ("01.01.90"), then any of
  nothing, a space, "-", "–", "/", "." with or without spaces around it, then four digits.
* Phones: eight digits in groups of two to four (or all eight together) with ONE kind of
  separator between the groups (space, "-", ".", "/", optionally with spaces around it), with or
  without +45, 0045, (+45), (45) or 45 before. Not a phone: another digit or a decimal/thousands
  mark + digit right before or after; thousands groups ("12.345.678", "12 345 678"); a date
  ("12.05.2024", "2024-05-12"). Two rising years ("2019-2020", "2019 2020") are written like a
  mobile number, so they are a *possible* finding: reported for the author, not replaced, never
  silently let through; falling ones ("2041-1959") are a phone. Times "10.30-12.00" mix
  separators and are not phones either. An eight-digit case number may be redacted (the safe side).
  The tests check these patterns against ``phonenumbers``' own matcher for DK.
* E-mails: local part, then "@" (fullwidth "＠" is NFKC'd to "@"), "(at)", "[at]", "{at}",
  "<at>", or " at " / " snabel-a ", with or without spaces, then a domain whose dots may be written
  "(dot)", "[dot]", " dot ", " punktum "; the obfuscated forms need a top-level domain at the end,
  "@" needs one dot, or is "@localhost".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

__all__ = ["contact_spans"]

_DIGITS8 = re.compile(r"\d(?:\D{0,3}\d){7}")  # cheap pre-check: no phone or CPR without it

_CPR = re.compile(
    r"(?<!\d)(?<!\d[.,])"
    r"([0-3]\d)([.\-]?)([01]\d)\2(\d\d)"  # DDMMYY, "01.01.90", "01-01-90"
    r"(?: ?[-/–.] ?| )?"  # separator: none, space, - – / . with spaces around or not
    r"(\d{4})(?!\d)(?![.,]\d)"
)


def _cpr_spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    for m in _CPR.finditer(text):
        number = m.group(1) + m.group(3) + m.group(4) + m.group(5)
        try:
            stdnum_cpr.get_birth_date(number)
        except ValidationError:
            # stdnum refuses a day the month lacks (300290) or puts 29 Feb in a non-leap
            # century: a typo'd or odd CPR number is still one (the safe side), a day over 31 or
            # a month over 12 is not
            if not (1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(3)) <= 12):
                continue
        yield m.start(), m.end(), "cpr", True


_GROUP = re.compile(r"\d+")
_RUN = re.compile(r"\d+(?:(?: ?[-./] ?| |,(?=\d))\d+)*")
_JOINED = re.compile(r"(?:\+45|\+ 45|0045)\d{8}(?!\d)(?![.,]\d)")  # +4512345678
_PREFIX = re.compile(r"(?:\+ ?45|0045|\(\+? ?45\)|(?<![\d.,])45)[ \-]?\Z")


def _is_year(group: str) -> bool:
    return len(group) == 4 and group[:2] in ("19", "20")


def _phone_certainty(groups: list[str], sep: str) -> bool | None:
    """True: a phone number; False: certainly something else; None: possibly either.

    "2019-2020" reads as years and is written like a mobile number ("2041 1959"), so it is a
    *possible* finding the author confirms, never silently left in; a descending pair is no range.
    """
    sizes = [len(g) for g in groups]
    if sizes == [2, 3, 3]:
        return False  # thousands: 12.345.678, 12 345 678
    if sep in "-./" and len(groups) == 3:
        if sizes == [2, 2, 4] and 1 <= int(groups[0]) <= 31 and 1 <= int(groups[1]) <= 12:
            return False  # 12.05.2024
        if sizes == [4, 2, 2] and _is_year(groups[0]) and 1 <= int(groups[1]) <= 12:
            return False  # 2024-05-12
    if sizes == [4, 4] and _is_year(groups[0]) and _is_year(groups[1]) and groups[0] <= groups[1]:
        return None  # 2019-2020
    return True


def _phone_spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    for m in _JOINED.finditer(text):
        yield m.start(), m.end(), "phone", True
    for run in _RUN.finditer(text):
        groups = [g.span() for g in _GROUP.finditer(text, run.start(), run.end())]
        if sum(b - a for a, b in groups) < 8:
            continue
        a0, b0 = groups[0]
        before = text[max(0, a0 - 2) : a0]
        rest = sum(b - a for a, b in groups)
        if (b0 - a0 > 4 and text.startswith("0045", a0) and rest - 4 >= 8) or (
            b0 - a0 > 2
            and text.startswith("45", a0)
            and rest - 2 >= 8
            and before.endswith(("+", "(", "+ "))
        ):
            cut = a0 + (4 if text.startswith("0045", a0) else 2)  # "+4512 34 56 78"
            groups[0:1] = [(a0, cut), (cut, b0)]
        raw = [text[a[1] : b[0]] for a, b in pairwise(groups)]
        seps = [r.strip() or " " for r in raw]
        n, i = len(groups), 0
        first = text[groups[0][0] : groups[0][1]]
        if n > 1 and first in ("45", "0045") and sum(b - a for a, b in groups[1:]) >= 8:
            i = 1  # a country code: the number starts after it
        while i < n:
            digits, j = 0, i
            while j < n and digits < 8:
                digits += groups[j][1] - groups[j][0]
                j += 1
            window = [text[a:b] for a, b in groups[i:j]]
            kinds = set(seps[i : j - 1])
            if (
                digits == 8
                and len(kinds) <= 1
                and "," not in kinds
                and (len(window) == 1 or all(2 <= len(g) <= 4 for g in window))
                and not (i > 0 and raw[i - 1] in (".", ","))  # "1,12345678"
                and not (j < n and raw[j - 1] in (".", ","))  # "12345678,5"
                and (sure := _phone_certainty(window, kinds.pop() if kinds else "")) is not False
            ):
                start = groups[i][0]
                if i <= 1:
                    prefix = _PREFIX.search(text, max(0, start - 8), start)
                    if prefix:
                        start, sure = prefix.start(), True  # "+45 2019 2020" is a phone
                sep = seps[i] if j - i > 1 else None
                while (
                    j < n
                    and seps[j - 1] == (sep or seps[j - 1])
                    and (2 <= groups[j][1] - groups[j][0] <= 4)
                    and raw[j - 1] not in (".", ",")
                ):
                    j += 1  # more groups of the same number: no tail left behind
                yield start, groups[j - 1][1], "phone", sure is True
                i = j
            else:
                i += 1


_TLD = r"(?:dk|com|net|org|eu|info|se|no|de|nu|io|gl|fo|uk|biz)"
_AT = r"(?: ?@ ?| ?[(\[{<] ?(?:at|snabel-?a) ?[)\]}>] ?| (?:at|snabel-?a) )"
_DOT_OBF = r"(?: ?[(\[{<] ?(?:dot|punktum|prik) ?[)\]}>] ?| (?:dot|punktum|prik) )"
_LABEL = r"[\w\-]+"
_LOCAL = r"(?<![\w%+'\-])[^\W_][\w.%+'\-]*(?<![.'\-])"
_AT_FORM = rf"(?: ?@ ?(?:{_LABEL}(?:\.{_LABEL})+|localhost\b))"  # x@d.dk, x @ d.dk, x@localhost
_OBF_FORM = rf"(?:{_AT}{_LABEL}(?:(?:\.|{_DOT_OBF}){_LABEL})*(?:\.|{_DOT_OBF}){_TLD}(?!\w))"
_EMAIL_AT = re.compile(rf"{_LOCAL}{_AT_FORM}")
_EMAIL_OBF = re.compile(rf"{_LOCAL}{_OBF_FORM}")
# The obfuscated forms need one of these (plain " at " is an ordinary Danish word).
_OBF_HINT = re.compile(rf"[(\[{{<] ?(?:at|dot|snabel)| (?:dot|punktum|prik|snabel-?a) |\.{_TLD}\b")
_LOCAL_CHARS = re.compile(r"[\w.%+'\-]*\Z")


def _email_spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    at = text.find("@")
    while at != -1:  # only around each "@": the local part back from it, then one match
        back = at - 1 if at > 0 and text[at - 1] == " " else at
        local = _LOCAL_CHARS.search(text, max(0, back - 64), back)
        m = _EMAIL_AT.match(text, local.start()) if local else None
        while m is None and local and local.start() < back:
            local = _LOCAL_CHARS.search(text, local.start() + 1, back)
            m = _EMAIL_AT.match(text, local.start()) if local else None
        if m:
            yield m.start(), m.end(), "email", True
        at = text.find("@", max(at + 1, m.end() if m else 0))
    if _OBF_HINT.search(text):
        for m in _EMAIL_OBF.finditer(text):
            yield m.start(), m.end(), "email", True


def contact_spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """Every e-mail, CPR and phone span in a contacts-folded text (may overlap), with whether it
    is certain (replaced) or possible (the author confirms)."""
    yield from _email_spans(text)
    if _DIGITS8.search(text):
        yield from _cpr_spans(text)
        yield from _phone_spans(text)
