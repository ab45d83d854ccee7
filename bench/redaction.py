"""Benchmark: the token-window Redactor against a naive "one regular expression per name" baseline.

Not a test. Run from the repository root::

    .venv/bin/python bench/redaction.py [--names 50000] [--texts 20000] [--sample 200] [--seed 2024]

Generates a reproducible (seeded) directory of Danish-looking names and example texts of about
400 characters, some containing directory names (also in genitive, upper case or broken over a
line), e-mail addresses, phone numbers and CPR numbers. Times building the Redactor plus redacting
every text, then the baseline: compiling one regular expression per name and applying all of them
to each text. The baseline is far too slow to run on every text, so it runs on the first
``--sample`` texts and its per-text time is extrapolated to all texts (the table says so).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.collections.redaction import Redactor, redact_contacts


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words("""
Anne Kirsten Hanne Mette Anna Helle Susanne Lene Maria Marianne Lone Camilla Pia Louise Charlotte
Bente Tina Gitte Inge Karen Ida Emma Sofie Julie Laura Signe Maja Line Birgitte Rikke Trine Heidi
Jette Dorthe Vibeke Merete Lise Tove Ulla Else Ellen Grethe Hanna Karin Malene Nanna Sara Stine
Cecilie Mathilde Freja Astrid Ingrid Søs Åse Ærtebølle-Marie Anne-Marie Lærke Solveig Bodil
Peter Jens Michael Lars Henrik Thomas Søren Jan Niels Christian Martin Jørgen Hans Anders Morten
Jesper Ole Per Erik Mads Rasmus Kim Torben Poul Steen Klaus Frederik Mikkel Jakob Jonas Kasper
Nikolaj Bo Carsten Kristian Mogens Flemming Bent Finn Brian Allan Kenneth René Simon Emil Oliver
William Noah Lucas Victor Magnus Aksel Ask Bjørn Øjvind Åge Jørn Knud Svend Preben Palle Dennis
""")

SURNAMES = _words("""
Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen
Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Knudsen Jakobsen
Mikkelsen Frederiksen Henriksen Laursen Lund Holm Schmidt Eriksen Kristiansen Clausen Simonsen
Svendsen Andreasen Iversen Østergaard Jeppesen Vestergaard Nissen Lauridsen Kjær Jepsen Mogensen
Nørgaard Jessen Søndergaard Bertelsen Bach Dahl Mathiasen Kjeldsen Lassen Skov Friis Bækgaard
Damgaard Thygesen Munk Berg Toft Brandt Ravn Dam Bruun Kofoed Winther Lindberg Hedegaard Ahmed
Ali Nguyen Kowalski Yilmaz Mads Lars Hviid Juhl Krogh Vinther Fisker Høj Bøgh Æbelø Åkjær Grøn
""")

MIDDLE_NAMES = _words("""
Holm Lund Skov Dahl Bach Krogh Juul Møller Kjær Vestergaard Friis Damgaard Bruun Høgh Lykke
Bonde Nør Winther Bang Storm Brix Thorup Kirk Bøgh Due Find Hjort Kragh Lind Rask
""")

FILLER = [
    "Vi satte vores ekspertise i spil, da borgeren havde brug for en hurtig løsning.",
    "Teamet tog et ekstra ansvar og koordinerede med hjemmeplejen hen over weekenden.",
    "Det gik ikke helt som forventet, men vi lærte at spørge hinanden tidligere.",
    "På dialogmødet den 12.05.2024 aftalte vi tre næste skridt og en opfølgning.",
    "Indkøbet på 12.345 kr. blev godkendt lokalt uden at gå gennem tre led.",
    "Vi begyndte i det små med at gå til opgaven på en ny måde i afdeling 4.",
    "Kerneopgaven var tydelig, og rammerne gav plads til at prøve noget nyt.",
    "Vi fremmer hinandens aktørskab ved at dele erfaringer på tavlemødet kl. 8.30.",
    "Borgeren fik svar samme dag, og sagen blev lukket uden ekstra møder.",
    "Lederen trådte et skridt tilbage og lod fagligheden styre prioriteringen.",
    "Vi øver os i at sige det højt, når noget ikke giver mening for opgaven.",
    "Erfaringen viser, at fællesskabet bærer, når vi tør tage initiativ.",
]


def make_names(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        parts = [rng.choice(FIRST_NAMES)]
        if rng.random() < 0.25:
            parts.append(rng.choice(FIRST_NAMES))
        if rng.random() < 0.45:
            parts.append(rng.choice(MIDDLE_NAMES))
        if rng.random() < 0.15:
            parts.append(rng.choice(MIDDLE_NAMES))
        parts.append(rng.choice(SURNAMES))
        names.add(" ".join(parts))
    return sorted(names)


def _phone(rng: random.Random) -> str:
    d = f"{rng.randrange(20_000_000, 99_999_999)}"
    form = rng.choice(
        [
            d,
            f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
            f"{d[:4]} {d[4:]}",
            f"+45 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
            f"+45{d}",
            f"0045 {d}",
        ]
    )
    return form


def _cpr(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
    sep = rng.choice(["-", "", " "])
    return f"{day:02d}{month:02d}{year:02d}{sep}{rng.randrange(10_000):04d}"


def _mention(name: str, rng: random.Random) -> str:
    parts = name.split()
    if len(parts) > 2 and rng.random() < 0.5:
        parts = [parts[0], parts[-1]]
    style = rng.random()
    if style < 0.2:
        last = parts[-1]
        parts[-1] = last + ("'" if last[-1] in "sxz" else "s")
    elif style < 0.3:
        parts = [p.upper() for p in parts]
    text = " ".join(parts)
    if rng.random() < 0.1:
        text = text.replace(" ", "\n  ", 1)
    return text


SECRETS: list[list[tuple[int, int]]] = []  # per text: the spans of what make_texts put in


def make_texts(count: int, names: list[str], rng: random.Random) -> list[str]:
    texts = []
    SECRETS.clear()
    for _ in range(count):
        pieces: list[str] = []
        spans: list[tuple[int, int]] = []
        length = 0
        while length < 400:
            roll = rng.random()
            secret = ""
            if roll < 0.12:
                secret = _mention(rng.choice(names), rng)
                piece = f"{secret} tog initiativ."
            elif roll < 0.16:
                first = rng.choice(FIRST_NAMES).lower().replace("-", "")
                secret = f"{first}.{rng.choice(SURNAMES).lower()}@norddjurs.dk"
                piece = f"Skriv til {secret}."
            elif roll < 0.20:
                secret = _phone(rng)
                piece = f"Ring på {secret}."
            elif roll < 0.22:
                secret = _cpr(rng)
                piece = f"CPR {secret} blev nævnt ved en fejl."
            else:
                piece = rng.choice(FILLER)
            if secret:
                at = length + piece.index(secret)
                spans.append((at, at + len(secret)))
            pieces.append(piece)
            length += len(piece) + 1
        texts.append(" ".join(pieces))
        SECRETS.append(spans)
    return texts


def recall_precision(results: list) -> tuple[float, float, int, int]:
    """Certain findings against what make_texts put in: recall (secrets fully covered) and
    precision (findings that overlap a secret)."""
    put = covered = found = right = 0
    for spans, result in zip(SECRETS, results, strict=True):
        for a, b in spans:
            put += 1
            covered += any(f.start <= a and b <= f.end for f in result.findings)
        for f in result.findings:
            found += 1
            right += any(f.start < b and a < f.end for a, b in spans)
    return covered / put, right / found, put, found


def possible_figures(results: list) -> tuple[float, float, int]:
    """Certain-or-possible recall (secrets covered by either) and the possible findings'
    precision (those that overlap a secret; the rest are what HR decides to keep)."""
    put = covered = found = right = 0
    for spans, result in zip(SECRETS, results, strict=True):
        every = (*result.findings, *result.possible)
        for a, b in spans:
            put += 1
            covered += any(f.start <= a and b <= f.end for f in every)
        for f in result.possible:
            found += 1
            right += any(f.start < b and a < f.end for a, b in spans)
    return covered / put, (right / found if found else 1.0), found


def baseline_patterns(names: list[str]) -> list[re.Pattern[str]]:
    """One regular expression per name: full name and first + last, with genitive."""
    patterns = []
    for name in names:
        parts = name.split()
        forms = {tuple(parts), (parts[0], parts[-1])}
        alternatives = []
        for form in forms:
            genitive = "'" if form[-1][-1] in "sxz" else "s"
            alternatives.append(r"\s+".join(map(re.escape, form)) + f"(?:{genitive})?")
        patterns.append(re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE))
    return patterns


def baseline_redact(
    text: str, patterns: list[re.Pattern[str]]
) -> tuple[str, list[tuple[int, int]]]:
    """Apply every name pattern (and the contact patterns); return the text and the name spans."""
    name_spans = [m.span() for p in patterns for m in p.finditer(text)]
    spans = sorted(name_spans + [(f.start, f.end) for f in redact_contacts(text).findings])
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(text[pos:start] + "[x]")
        pos = end
    out.append(text[pos:])
    return "".join(out), name_spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=50_000)
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    rng = random.Random(args.seed)  # noqa: S311 - reproducible test data, not secrets
    names = make_names(args.names, rng)
    texts = make_texts(args.texts, names, rng)
    mean_len = sum(map(len, texts)) / len(texts)
    print(
        f"{len(names):,} names, {len(texts):,} texts of {mean_len:.0f} characters on average "
        f"(seed {args.seed})"
    )

    # What "total" includes: building the Redactor from the 50,000 display names (folding them,
    # indexing first names, surnames, pairs, initials, joined forms and slips; the name lists
    # are loaded before, once per process) and redacting every text (folding, contacts, names,
    # merging, replacing). Not included: generating the data, the baseline.
    Redactor([])  # loads the shipped name lists (once per process, like a worker)
    c0, t0 = time.process_time(), time.perf_counter()
    redactor = Redactor(names)
    c1, t1 = time.process_time(), time.perf_counter()
    results = [redactor.redact(text) for text in texts]
    c2, t2 = time.process_time(), time.perf_counter()
    build, run = t1 - t0, t2 - t1
    print(
        f"CPU seconds of this process (less affected by a shared machine): build {c1 - c0:.2f}, "
        f"redact {c2 - c1:.2f}, total {c2 - c0:.2f}; load average {os.getloadavg()[0]:.1f}"
    )
    recall, precision, put, found = recall_precision(results)
    print(
        f"certain recall {recall:.4f} of {put:,} inserted secrets, precision {precision:.4f} "
        f"of {found:,} certain findings; possible findings "
        f"{sum(len(r.possible) for r in results):,}"
    )
    either, possible_precision, possible_found = possible_figures(results)
    print(
        f"certain-or-possible recall {either:.4f}; possible findings' precision "
        f"{possible_precision:.4f} of {possible_found:,} (the rest are HR's to keep)"
    )
    kinds: dict[str, int] = {}
    for result in results:
        for finding in result.findings:
            kinds[finding.kind] = kinds.get(finding.kind, 0) + 1

    sample = texts[: args.sample]
    t3 = time.perf_counter()
    patterns = baseline_patterns(names)
    t4 = time.perf_counter()
    covered = total = 0
    for text, result in zip(sample, results, strict=False):
        _, name_spans = baseline_redact(text, patterns)
        ours = [(f.start, f.end) for f in result.findings]
        for start, end in name_spans:
            total += 1
            covered += any(s <= start and end <= e for s, e in ours)
    t5 = time.perf_counter()
    b_build, b_sample = t4 - t3, t5 - t4
    b_run = b_sample / len(sample) * len(texts)

    rows = [
        ("Redactor: build directory index", f"{len(names):,} names", build, None),
        ("Redactor: redact", f"{len(texts):,} texts", run, len(texts) / run),
        ("Redactor: total", f"{len(texts):,} texts", build + run, len(texts) / (build + run)),
        ("Baseline: compile regexes", f"{len(names):,} names", b_build, None),
        (
            f"Baseline: redact (measured on {len(sample)})",
            f"{len(sample):,} texts",
            b_sample,
            len(sample) / b_sample,
        ),
        ("Baseline: redact (extrapolated)", f"{len(texts):,} texts", b_run, len(texts) / b_run),
        (
            "Baseline: total (extrapolated)",
            f"{len(texts):,} texts",
            b_build + b_run,
            len(texts) / (b_build + b_run),
        ),
    ]
    print()
    print(f"{'':44} {'items':>14} {'seconds':>10} {'texts/s':>10}")
    for label, items, seconds, rate in rows:
        rate_text = f"{rate:,.0f}" if rate is not None else "-"
        print(f"{label:44} {items:>14} {seconds:>10.2f} {rate_text:>10}")
    print()
    print(
        f"Speed-up, total (build + {len(texts):,} texts): {(b_build + b_run) / (build + run):,.0f}x"
    )
    print(f"Speed-up, per text (redact only):          {b_run / run:,.0f}x")
    print(f"Directory: {redactor.patterns:,} people indexed")
    print("Findings over all texts: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))
    print(f"Baseline name hits in the sample also covered by the Redactor: {covered}/{total}")


if __name__ == "__main__":
    main()
