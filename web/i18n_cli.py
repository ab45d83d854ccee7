"""``flask translations``: extract, update, fill, compile and check the catalogues.

The source strings are Danish (the product's first language). The ``da`` catalogue is filled
with the source text itself, so a string can still be reworded in Danish without touching code;
``en`` is translated by hand. ``check`` fails when the .pot is stale or a catalogue is incomplete.
"""

from __future__ import annotations

import copy
import fcntl
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("da", "en")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "_n": (1, 2),
}

translations_cli = AppGroup("translations", help="Manage the da and en catalogues.")


def extract() -> Catalog:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    catalog = Catalog(project="aktorskab", version="1", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("i18n:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _ids(catalog: Catalog) -> set:
    return {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalog if m.id}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, omit_header=False)
    path.write_bytes(buf.getvalue())


def problems() -> list[str]:
    """What is stale or missing; an empty list means the catalogues are complete."""
    found: list[str] = []
    fresh = extract()
    if not POT.exists() or _ids(_read(POT)) != _ids(fresh):
        found.append("translations/messages.pot is stale: run `make translations`")
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            found.append(f"{po.relative_to(ROOT)} is missing")
            continue
        catalog = _read(po, locale)
        for msg in catalog:
            if not msg.id:
                continue
            strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
            if msg.fuzzy or not all(strings):
                found.append(f"{locale}: untranslated {msg.id!r}")
        missing = _ids(fresh) - _ids(catalog)
        found.extend(f"{locale}: missing {mid[0]!r}" for mid in sorted(missing, key=str))
    return found


def compile_all() -> None:
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.with_suffix(".mo").open("wb") as f:
                write_mo(f, _read(po, locale))


@contextmanager
def _locked() -> Iterator[None]:
    """Several people (or agents) may update the catalogues at once: one at a time."""
    TRANSLATIONS.mkdir(exist_ok=True)
    with (TRANSLATIONS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@translations_cli.command("update")
def update_command() -> None:
    """Extract the .pot, merge it into both catalogues, fill da, compile."""
    with _locked():
        _update()
    left = problems()
    click.echo("\n".join(left) if left else "Catalogues complete.")


@translations_cli.command("fill")
@click.argument("locale", type=click.Choice(LOCALES))
@click.argument("json_file", type=click.File("r", encoding="utf-8"))
def fill_command(locale: str, json_file) -> None:
    """Update, then set translations from a JSON object {"Danish source": "translation"}.

    For plural entries give a list of forms. Unknown keys are reported, not added.
    """
    given = json.load(json_file)
    with _locked():
        _update()
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        catalog = _read(po, locale)
        used = set()
        for msg in catalog:
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            if msg.id and key in given:
                value = given[key]
                msg.string = tuple(value) if isinstance(msg.id, tuple) else value
                msg.flags.discard("fuzzy")
                used.add(key)
        _write(po, catalog)
        compile_all()
    for key in sorted(set(given) - used):
        click.echo(f"not in the catalogue: {key!r}")
    left = problems()
    click.echo("\n".join(left) if left else "Catalogues complete.")


def _update() -> None:
    template = extract()
    _write(POT, template)
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        catalog = _read(po, locale) if po.exists() else Catalog(locale=locale)
        # Catalog.update shares the template's Message objects: give each locale its own copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "da":
            for msg in catalog:
                if msg.id and not (
                    msg.string if not isinstance(msg.string, tuple) else all(msg.string)
                ):
                    msg.string = msg.id
        _write(po, catalog)
    compile_all()


@translations_cli.command("compile")
def compile_command() -> None:
    compile_all()


@translations_cli.command("check")
def check_command() -> None:
    """Exit non-zero when the .pot is stale or a catalogue has untranslated strings."""
    left = problems()
    if left:
        raise click.ClickException("\n".join(left))
    click.echo("Catalogues complete.")
