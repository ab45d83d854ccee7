"""Issue 13, point 7: a labelled corpus and generated variants, measured.

* PERSON sentences (≥ 300): Danish sentences written for the purpose, each person-data span
  marked with ⟦…⟧. Every span must be certain or possible (100 %).
* CLEAN sentences (≥ 300): no person data, full of words that are also names (lower case, or an
  ordinary word at the start of a sentence), numbers, dates, years, amounts, times. No finding.
* A hypothesis strategy writes the directory's names, CPR numbers, phones and e-mails in random
  variants (the kinds the audit found) into random Danish sentences: certain recall ≥ 99 %.

The sentences are built from hand-written frames × hand-written mentions, so the corpus is
reproducible and its size is counted, not claimed.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.collections.redaction import Redactor, redact_contacts

DIRECTORY = [
    "Søren Friis",
    "Ida Holm",
    "Sofie Kjær Madsen",
    "Mads Østergaard",
    "Anne Marie Lund",
    "Christoffer Bækgaard",
    "Hansen, Bo",
    "Mette Rasmussen",
    "Jørgen Aagaard Poulsen",
    "Karoline Sørensen",
]
REDACTOR = Redactor(DIRECTORY)

_SPAN = re.compile(r"⟦(.*?)⟧", re.DOTALL)

FRAMES = [
    "Tak til {} for hjælpen med tavlemødet.",
    "I går tog {} initiativ til en ny vagtplan.",
    "Vi aftalte, at {} følger op på sagen i næste uge.",
    "Borgeren bad om at tale med {} igen.",
    "Det var {} der fandt løsningen på problemet med kørslen.",
    "Efter mødet skrev {} et kort referat til resten af teamet.",
    "Hele afdelingen roste {} for det rolige overblik.",
    "Spørg {}, hvis du er i tvivl om proceduren.",
    "På fredag holder {} oplæg om den nye arbejdsgang.",
    "Jeg har talt med {} om forløbet, og vi er enige.",
    "Vagten blev dækket af {}, da to var syge.",
    "Kontakt gerne {} direkte.",
    "Lederen nævnte {} som et godt eksempel.",
    "Forslaget kom fra {} og blev vedtaget.",
    "Til sidst opsummerede {} de vigtigste pointer.",
    "Vi savner {} i planlægningsgruppen.",
]
NAME_MENTIONS = [
    "⟦Søren Friis⟧",
    "⟦Soren Friis⟧",
    "⟦Soeren Friis⟧",
    "⟦Sø\u00adren Friis⟧",
    "⟦Sø\u200bren Friis⟧",
    "⟦Sø-\nren Friis⟧",
    "⟦Sør\u0435n Friis⟧",
    "⟦Friis, Søren⟧",
    "⟦S. Friis⟧",
    "⟦Søren F.⟧",
    "⟦Friis⟧",
    "⟦SørenFriis⟧",
    "#⟦sorenfriis⟧",
    "⟦S.ø.r.e.n⟧",
    "⟦Ida Holm⟧",
    "⟦Ida⟧",
    "⟦Sofie Kjær Madsen⟧",
    "⟦Sofie Madsen⟧",
    "⟦Sofie⟧",
    "⟦Madsen, Sofie⟧",
    "⟦Mads Østergaard⟧",
    "⟦Mads Ostergaard⟧",
    "⟦Mads Østergård⟧",
    "⟦Mads⟧",
    "⟦Anne Marie Lund⟧",
    "⟦Anne Lund⟧",
    "⟦Christoffer Bækgaard⟧",
    "⟦Christofer Bækgaard⟧",
    "⟦Christoffer Baekgaard⟧",
    "⟦Bækgaard⟧",
    "⟦Bo Hansen⟧",
    "⟦Mette Rasmussen⟧",
    "⟦Rasmussen⟧",
    "⟦Mette⟧",
    "⟦Jørgen Aagaard Poulsen⟧",
    "⟦Jørgen Poulsen⟧",
    "⟦Jorgen Agaard Poulsen⟧",
    "⟦Karoline Sørensen⟧",
    "⟦Karoline Sorensens⟧",
    "⟦Karolina Sørensen⟧",
    "⟦Karen Blixen⟧",  # outside the directory: a citizen
    "⟦Henrik⟧",  # a first name from the shipped list
]
CONTACT_MENTIONS = [
    "⟦01.01.90-1234⟧",
    "⟦010190 - 1234⟧",
    "⟦010190/1234⟧",
    "⟦0101901234⟧",
    "⟦310385-1117⟧",
    "⟦12-34-56-78⟧",
    "⟦123 456 78⟧",
    "⟦+45 1234 56 78⟧",
    "⟦(+45) 1234-5678⟧",
    "⟦12/34/56/78⟧",
    "⟦0045 87654321⟧",
    "⟦22334455⟧",
    "⟦x (at) d.dk⟧",
    "⟦x @ d.dk⟧",
    "⟦x＠d.dk⟧",
    "⟦navn at kommune dot dk⟧",
    "⟦x@localhost⟧",
    "⟦sofie.madsen[at]kommune.dk⟧",
    "⟦hanne.j@norddjurs.dk⟧",
]
CONTACT_FRAMES = [
    "Ring på {} hvis der er ændringer.",
    "Hendes nummer er {}, skriv det ned.",
    "Oplysningen {} stod i notatet og skulle aldrig have været der.",
    "Send materialet til {} inden fredag.",
    "Vi fandt {} på en post-it ved printeren.",
    "Kontaktoplysningen var {} i den gamle mappe.",
    "Han gav os {} over telefonen.",
    "I journalen stod {} uden forklaring.",
]


def _person_corpus() -> list[str]:
    out = [f.format(m) for f, m in itertools.product(FRAMES, NAME_MENTIONS)]
    out += [f.format(m) for f, m in itertools.product(CONTACT_FRAMES, CONTACT_MENTIONS)]
    return out


CLEAN = [
    "Vi har en have bag huset, og der bor mange fugle.",
    "Have og bo er ord, vi bruger hver dag.",
    "Mark er vådt efter regnen, så traktoren venter.",
    "Skoven ved søen er fuld af storm og rose-buske.",
    "Storm og regn lukkede færgen til Ærø i går.",
    "Rose til hele holdet for en flot indsats.",
    "Per dag kører vi omkring 120 km i hjemmeplejen.",
    "Hans leder sagde, at det var en god idé.",
    "Tage en pause hver anden time hjælper på ryggen.",
    "Line up til sommerfesten er klar.",
    "Vi fik 12.345 kr. i tilskud og 2.500 kr. til materialer.",
    "Mødet er den 12.05.2024 kl. 10.30-12.00 i lokale 3.",
    "Fra 2019 til 2023 steg tallet med 12 procent.",
    "Budgettet er 1.250.000 kr. for 2025.",
    "Der var 45 deltagere og 3 oplægsholdere.",
    "Sagen blev oprettet 2024-05-12 og afsluttet i juni.",
    "Vi bor i mark og skov, langt fra byen.",
    "Sten på stien gjorde det svært at skubbe kørestolen.",
    "Lykke er at få fri til tiden.",
    "Maj er en travl måned for planlægningen.",
    "August er ferietid, og vi dækker hinanden.",
    "Dag og nat skiftes vi til at have vagten.",
    "Tom for kaffe igen, så vi købte ind.",
    "Frank feedback er det bedste, vi kan give hinanden.",
    "Bo tæt på arbejdet gør det lettere at møde tidligt.",
    "Iris og viola blomstrer i haven ved plejehjemmet.",
    "Stig op på stolen med forsigtighed.",
    "Lisen til kørestolen kostede 899,95 kr.",
    "Tallet 1,12345678 er for præcist til rapporten.",
    "Vi mødes i uge 34 og igen i uge 36.",
    "Hjemmeplejen i Aarhus Kommune deltog også.",
    "Region Midtjylland sendte en ny vejledning.",
    "Holdet i Viborg prøvede metoden først.",
    "Tavlemødet varer 15 minutter og starter kl. 8.15.",
    "Over 2.000 borgere fik besøg i 2023.",
    "Prisen steg fra 12,50 kr. til 14,75 kr. pr. måltid.",
    "Sommer og vinter kræver forskellige vagtplaner.",
    "Grøn omstilling var temaet for temadagen.",
    "Lund og skov ligger tæt ved centret.",
    "Bjerg og dal er ikke noget, vi har meget af i Danmark.",
]
CLEAN_TAILS = [
    "",
    " Det gik fint.",
    " Næste møde er i uge 12.",
    " Vi evaluerer efter 3 måneder.",
    " Udgiften var 4.500 kr.",
    " Det tog 2 timer.",
    " Se punkt 4.2 i planen.",
    " Aftalen gælder fra 1. januar 2025.",
]


def _clean_corpus() -> list[str]:
    return [s + t for s, t in itertools.product(CLEAN, CLEAN_TAILS)]


def _spans(marked: str) -> tuple[str, list[tuple[int, int]]]:
    text, spans, pos = "", [], 0
    for m in _SPAN.finditer(marked):
        text += marked[pos : m.start()]
        start = len(text)
        text += m.group(1)
        spans.append((start, len(text)))
        pos = m.end()
    return text + marked[pos:], spans


def test_corpus_sizes():
    assert len(_person_corpus()) >= 300
    assert len(_clean_corpus()) >= 300


def test_every_person_data_span_is_certain_or_possible():
    missed = []
    for marked in _person_corpus():
        text, spans = _spans(marked)
        result = REDACTOR.redact(text)
        found = [*result.findings, *result.possible]
        for start, end in spans:
            if not any(f.start <= start and end <= f.end for f in found):
                missed.append(text[start:end])
    assert missed == []


def test_clean_sentences_have_no_finding_at_all():
    noisy = []
    for text in _clean_corpus():
        result = REDACTOR.redact(text)
        if result.findings or result.possible:
            found = (*result.findings, *result.possible)
            noisy.append((text, [text[f.start : f.end] for f in found]))
    assert noisy == []


# --- generated variants: certain recall ≥ 99 % -----------------------------------------------

PEOPLE = [
    ("Søren", "", "Friis"),
    ("Sofie", "Kjær", "Madsen"),
    ("Christoffer", "", "Bækgaard"),
    ("Mette", "", "Rasmussen"),
    ("Jørgen", "Aagaard", "Poulsen"),
    ("Karoline", "", "Sørensen"),
]
SPELL = {
    "ø": ["ø", "o", "oe", "ö"],
    "æ": ["æ", "ae", "a", "ä"],
    "å": ["å", "aa"],
    "aa": ["aa", "å"],
}


def _spell(word: str, rnd: random.Random) -> str:
    out = word
    for k, options in SPELL.items():
        if k in out:
            out = out.replace(k, rnd.choice(options))
    return out


def _insert_invisible(word: str, rnd: random.Random) -> str:
    at = rnd.randrange(1, len(word))
    return word[:at] + rnd.choice(["\u00ad", "\u200b", "-\n"]) + word[at:]


def name_variant(person: tuple[str, str, str], rnd: random.Random) -> str:
    first, middle, last = (_spell(p, rnd) for p in person)
    form = rnd.choice(
        [
            "full",
            "first_last",
            "reversed",
            "genitive",
            "initial",
            "upper",
            "lower",
            "invisible",
            "joined",
            "surname",
        ]
    )
    if form == "full":
        return " ".join(p for p in (first, middle, last) if p)
    if form == "reversed":
        return f"{last}, {first}"
    if form == "genitive":
        return f"{first} {last}s"
    if form == "initial":
        return f"{first[0]}. {last}"
    if form == "upper":
        return f"{first} {last}".upper()
    if form == "lower":
        return f"{first} {last}".lower()
    if form == "invisible":
        return f"{_insert_invisible(first, rnd)} {last}"
    if form == "joined":
        return f"#{first}{last}"
    if form == "surname":
        return last
    return f"{first} {last}"


def cpr_variant(rnd: random.Random) -> str:
    d, m, y, tail = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(0, 99), rnd.randint(0, 9999)
    sep_date = rnd.choice(["", ".", "-"])
    sep = rnd.choice(["-", "", " ", " - ", "/", "–"])
    return f"{d:02d}{sep_date}{m:02d}{sep_date}{y:02d}{sep}{tail:04d}"


def phone_variant(rnd: random.Random) -> str:
    d = f"{rnd.randint(2, 9)}{rnd.randint(0, 9999999):07d}"
    body = rnd.choice(
        [
            d,
            f"{d[:2]}-{d[2:4]}-{d[4:6]}-{d[6:]}",
            f"{d[:3]} {d[3:6]} {d[6:]}",
            f"{d[:4]} {d[4:6]} {d[6:]}",
            f"{d[:4]}-{d[4:]}",
            f"{d[:2]}/{d[2:4]}/{d[4:6]}/{d[6:]}",
            f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
            f"{d[:2]}.{d[2:4]}.{d[4:6]}.{d[6:]}",
        ]
    )
    return rnd.choice(["", "+45 ", "(+45) ", "0045 ", "+45"]) + body


def email_variant(rnd: random.Random) -> str:
    local = rnd.choice(["sofie", "s.friis", "mette.r", "jpo"])
    domain, tld = rnd.choice([("kommune", "dk"), ("norddjurs", "dk"), ("mail", "com")])
    at = rnd.choice(["@", " @ ", " (at) ", "[at]", "＠", " at "])
    dot = rnd.choice([".", " dot ", "(dot)"]) if at in (" at ", " (at) ", "[at]") else "."
    return f"{local}{at}{domain}{dot}{tld}"


SENTENCE = st.sampled_from(FRAMES + CONTACT_FRAMES)
KINDS = ["name", "cpr", "phone", "email"]
# A variant: a sentence, a kind of person data and the choices that write it, every choice
# drawn by hypothesis (``use_true_random=False``), so it explores and shrinks them.
VARIANT = st.tuples(SENTENCE, st.sampled_from(KINDS), st.randoms(use_true_random=False))
_RISING_YEARS = re.compile(r"((?:19|20)\d\d)[ -]((?:19|20)\d\d)")


def plant(frame: str, kind: str, rnd: random.Random) -> tuple[str, int, str]:
    """The sentence with the person data in it, where it starts, and the data itself."""
    if kind == "name":
        secret = name_variant(rnd.choice(PEOPLE), rnd)
    else:
        secret = {"cpr": cpr_variant, "phone": phone_variant, "email": email_variant}[kind](rnd)
    text = frame.format(secret)
    at = frame.index("{}") + secret.startswith("#")  # a hashtag's "#" may stay
    return text, at, secret.lstrip("#")


def _covered(findings, at: int, secret: str) -> bool:
    return any(f.start <= at and at + len(secret) <= f.end for f in findings)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(VARIANT, min_size=1, max_size=4))
def test_generated_variants_are_certain_or_possible(variants):
    for frame, kind, rnd in variants:
        text, at, secret = plant(frame, kind, rnd)
        result = REDACTOR.redact(text)
        assert _covered((*result.findings, *result.possible), at, secret), (text, result)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(VARIANT, min_size=300, max_size=300))
def test_generated_variants_recall_at_least_99_percent(variants):
    """Certain recall ≥ 99 % on every batch of 300 variants hypothesis writes. A phone number
    that reads as two rising years ("2019 2020") is by design a possible finding only (the
    previous test holds it to that), so it is not counted here."""
    total = hit = 0
    misses = []
    for frame, kind, rnd in variants:
        text, at, secret = plant(frame, kind, rnd)
        if (
            kind == "phone"
            and not secret.startswith(("+", "(", "00"))
            and any(a <= b for a, b in _RISING_YEARS.findall(secret))
        ):
            continue
        total += 1
        if _covered(REDACTOR.redact(text).findings, at, secret):
            hit += 1
        else:
            misses.append(secret)
    assert total == 0 or hit / total >= 0.99, (hit / total, misses[:20])


# --- phones: our patterns against phonenumbers' own matcher for DK ----------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 2**32))
def test_every_dk_number_phonenumbers_finds_is_redacted(seed):
    """An independent check: whatever libphonenumber's matcher (leniency VALID) finds as a Danish
    number in a variant sentence, the redactor replaces as a phone (or CPR) too."""
    import phonenumbers

    rnd = random.Random(seed)
    text = rnd.choice(CONTACT_FRAMES).format(phone_variant(rnd))
    redacted = redact_contacts(text)
    for match in phonenumbers.PhoneNumberMatcher(text, "DK"):
        covered = [
            f
            for f in (*redacted.findings, *redacted.possible)
            if f.start <= match.start and match.end <= f.end
        ]
        assert covered, (text, match.raw_string)
        if not covered[0].certain:  # only two rising years may be left to the author
            years = re.fullmatch(r"((?:19|20)\d\d)\D+((?:19|20)\d\d)", match.raw_string)
            assert years and years[1] <= years[2], (text, match.raw_string)


@pytest.mark.parametrize(
    ("text", "certain"),
    [
        ("Projektet løb 2019-2020 og igen 2022 2023.", False),
        ("Han gav os 2041-1959 over telefonen.", True),
        ("Ring på 2019 2020, hvis du har spørgsmål.", False),
        ("Ring på +45 2019 2020 eller 0045 1998-2004.", True),
    ],
)
def test_two_years_are_possible_and_falling_pairs_are_phones(text, certain):
    """Two rising years are written like a mobile number: reported for the author (never
    silently left in), not replaced; a falling pair is no range of years, so it is a phone."""
    redacted = redact_contacts(text)
    assert (len(redacted.findings) > 0) is certain
    assert redacted.findings or redacted.possible
    if certain:
        assert not redacted.possible and "[telefon]" in redacted.text
    else:
        assert redacted.text == text and all(f.kind == "phone" for f in redacted.possible)
