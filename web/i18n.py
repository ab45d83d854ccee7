"""Locale selection: this browser's switch, the person's choice on their settings page, their
login profile's language, the browser's, the tenant's."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session


def select_locale() -> str:
    return locale_and_source()[0]


def locale_and_source() -> tuple[str, str]:
    """The language in force and where it comes from: ``switch`` (this browser's language
    switch), ``chosen`` (the person's settings page), ``profile`` (their login profile),
    ``browser``, ``tenant`` or ``default``. The settings page shows it."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        # CLI commands and tasks: e-mails use force_locale with the recipient's language.
        return default, "default"
    chosen = session.get("lang")
    if chosen in languages:
        return chosen, "switch"
    user = g.get("user")
    if user is not None and user.chosen_locale in languages:
        return user.chosen_locale, "chosen"
    if user is not None and user.locale in languages:
        return user.locale, "profile"
    best = request.accept_languages.best_match(languages)
    if best:
        return best, "browser"
    tenant = g.get("tenant")
    if tenant is not None and tenant.default_locale in languages:
        return tenant.default_locale, "tenant"
    return default, "default"


# --- dates in templates -----------------------------------------------------------------------
# Babel formats a date in ~20 µs (pattern lookup, locale data); a page lists dozens, mostly the
# same few. The formatted text depends only on the value, the format, the locale and (for a
# datetime) the time zone, so each process keeps the last few thousand.


def cached_date_filters():
    """``dateformat`` and ``datetimeformat`` for Jinja, as Flask-Babel's, remembered."""
    import functools
    from datetime import datetime

    from flask_babel import format_date, format_datetime, format_time
    from flask_babel import gettext as _

    @functools.lru_cache(maxsize=4096)
    def _format(formatter, value, format, locale, timezone) -> str:
        return formatter(value, format)

    # A datetime is shown in the user's time zone (also as a date): the zone is in the key.
    def dateformat(value, format=None):
        if value is None:  # Flask-Babel's "now"
            return format_date(value, format)
        return _format(format_date, value, format, *_locale_and_zone())

    def datetimeformat(value, format=None):
        if value is None:
            return format_datetime(value, format)
        return _format(format_datetime, value, format, *_locale_and_zone())

    def when(value, context: str = "table"):
        """One date format per context: ``table`` (9. dec. 2026; with a time, 9. dec. 2026
        10.00) and ``prose`` (9. december 2026; 9. december 2026 kl. 10.00). Downloads write
        ISO 8601 (``web.exports``). A datetime is shown in the user's time zone."""
        if value is None:
            return ""
        where = _locale_and_zone()
        day = _format(format_date, value, "long" if context == "prose" else "medium", *where)
        if not isinstance(value, datetime):
            return day
        clock = _format(format_time, value, "short", *where)
        if context == "prose":
            # i18n: a date and a clock time in a sentence, e.g. "9. december 2026 kl. 10.00"
            return _("%(date)s kl. %(time)s", date=day, time=clock)
        return f"{day} {clock}"

    return {"dateformat": dateformat, "datetimeformat": datetimeformat, "when": when}


def _locale_and_zone() -> tuple[str, str]:
    """The locale and time zone in force, from Flask-Babel's per-request namespace when it
    has chosen them (``force_locale`` sets them there too). Their names are remembered there
    beside the objects they were taken from (a page asks dozens of times; a forced locale is
    another object, so it gets its own)."""
    from flask_babel import get_locale, get_timezone

    ns = g.get("_flask_babel") if g else None
    locale = getattr(ns, "babel_locale", None)
    zone = getattr(ns, "babel_tzinfo", None)
    if locale is None or zone is None:
        return str(locale or get_locale()), str(zone or get_timezone())
    remembered = getattr(ns, "aktor_locale_zone", None)
    if remembered is not None and remembered[0] is locale and remembered[1] is zone:
        return remembered[2]
    names = (str(locale), str(zone))
    ns.aktor_locale_zone = (locale, zone, names)
    return names


def locale_name() -> str:
    """The name of the locale in force ("da", "en"), as ``str(get_locale())``."""
    return _locale_and_zone()[0]


# --- translations in templates ----------------------------------------------------------------
# Flask-Babel's template ``gettext`` finds the request's translations anew for every string
# (domain, locale and catalogue through several context lookups each: ~5 µs, dozens per page).
# These callables remember the catalogue on Flask-Babel's own per-request namespace, keyed by
# the locale object in force: ``force_locale`` (an e-mail in the recipient's language) sets
# another locale object, so it gets its own catalogue, and the request's again afterwards.
# The app has one translation domain.


def cached_translations():
    """The request's catalogue, remembered on Flask-Babel's namespace for the locale in force."""
    from flask_babel import get_translations

    ns = g.get("_flask_babel") if g else None
    locale = getattr(ns, "babel_locale", None)
    if locale is None:
        return get_translations()  # first use in this request: let Flask-Babel choose
    remembered = getattr(ns, "aktor_translations", None)
    if remembered is not None and remembered[0] is locale:
        return remembered[1]
    found = get_translations()
    ns.aktor_translations = (locale, found)
    return found


def _cached_gettext(string: str) -> str:
    return cached_translations().ugettext(string)


def lazy_gettext(string: str):
    """Flask-Babel's ``lazy_gettext`` (the same lazy string) translated through the remembered
    catalogue: the menu's labels are rendered on every page."""
    from flask_babel.speaklater import LazyString

    return LazyString(_cached_gettext, string)


def install_template_gettext(app) -> None:
    translations = cached_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
