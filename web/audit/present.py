"""The audit log for people: each event's name and its details in words (issue 19, point 4).

``EVENT_LABELS`` names every event an area records; an event without a name here is shown by
its code (a test fails when one is missing). ``describe(entry)`` turns the details into a
sentence; details it does not know are listed as "key: value" with lists joined by commas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from web.audit.models import AuditEntry

EVENT_LABELS: dict[str, object] = {
    "auth.login": _l("Logget ind"),
    "auth.login_refused": _l("Login afvist"),
    "auth.logout": _l("Logget ud"),
    "auth.user_created": _l("Bruger oprettet"),
    "auth.roles_changed": _l("Roller ændret"),
    "admin.user_placed": _l("Bruger placeret i en enhed"),
    "teams.webhook_set": _l("Teams-kanal gemt"),
    "teams.webhook_removed": _l("Teams-kanal fjernet"),
    "sso.settings_updated": _l("Login-opsætning ændret"),
    "gdpr.settings_updated": _l("Databeskyttelse ændret"),
    "gdpr.retention_applied": _l("Gamle data slettet efter opbevaringsfristen"),
    "gdpr.person_erased": _l("En persons oplysninger slettet"),
    "gdpr.data_exported": _l("Egne data hentet"),
    "reports.requested": _l("Rapport bestilt"),
    "reports.downloaded": _l("Rapport hentet"),
    "collections.exported": _l("Inspirationskatalog hentet"),
    "audit.exported": _l("Revisionslog hentet"),
    "table.exported": _l("Tabel hentet"),
    "api_token.created": _l("API-nøgle oprettet"),
    "api_token.revoked": _l("API-nøgle trukket tilbage"),
    "auth.logout_refused": _l("Log ud afvist"),
    "scim.group_mapped": _l("SCIM-gruppe knyttet til enhed eller rolle"),
    "scim.token_created": _l("SCIM-nøgle oprettet"),
    "scim.token_revoked": _l("SCIM-nøgle trukket tilbage"),
    "sso.saml_key_created": _l("SAML-nøgle oprettet"),
    "sso.saml_key_activated": _l("SAML-nøgle taget i brug"),
    "sso.saml_key_retired": _l("SAML-nøgle udfaset"),
    "sso.saml_metadata_refreshed": _l("SAML-metadata hentet igen"),
    "sso.saml_metadata_kept": _l("SAML-metadata ikke opdateret (sidste gode beholdt)"),
    "sso.oidc_keys_refreshed": _l("OpenID Connect-nøgler hentet igen"),
    "sso.oidc_keys_kept": _l("OpenID Connect-nøgler ikke opdateret (sidste gode beholdt)"),
    "sso.version_drafted": _l("Login-opsætning gemt som kladde"),
    "sso.version_tested": _l("Login-opsætning afprøvet"),
    "sso.version_applied": _l("Login-opsætning taget i brug"),
    "sso.version_rolled_back": _l("Login-opsætning rullet tilbage"),
    "sso.version_discarded": _l("Kladde til login-opsætning kasseret"),
    "themes.computed": _l("Temaer beregnet"),
    "themes.changed": _l("Tema ændret"),
    "themes.split": _l("Tema delt i to"),
    "user.left": _l("Bruger fratrådt"),
}

ROLE_LABELS: dict[str, object] = {
    "hr": _l("HR"),
    "hovedudvalg": _l("Hovedudvalg"),
    "admin": _l("administrator"),
    "leader": _l("leder"),
    "member": _l("medlem"),
}


def event_label(event: str) -> str:
    return str(EVENT_LABELS.get(event, event))


def _words(values: Any) -> str:
    if isinstance(values, list | tuple):
        seen: list[str] = []
        for value in values:
            word = str(ROLE_LABELS.get(str(value), value))
            if word not in seen:  # a role held from two sources is one role
                seen.append(word)
        return ", ".join(seen) if seen else "–"
    return str(ROLE_LABELS.get(str(values), values))


def _login(d: dict[str, Any]) -> str:
    parts = []
    if d.get("roles"):
        parts.append(_("Roller: %(roles)s.", roles=_words(d["roles"])))
    if d.get("units"):
        parts.append(_("Enheder: %(units)s.", units=_words(d["units"])))
    if d.get("unknown_units"):
        parts.append(_("Ukendte enheder fra login: %(units)s.", units=_words(d["unknown_units"])))
    return " ".join(parts)


def _roles_changed(d: dict[str, Any]) -> str:
    parts = []
    if d.get("added"):
        parts.append(_("Fik: %(roles)s.", roles=_words(d["added"])))
    if d.get("removed"):
        parts.append(_("Mistede: %(roles)s.", roles=_words(d["removed"])))
    return " ".join(parts)


def _refused(d: dict[str, Any]) -> str:
    return " ".join(str(v) for v in (d.get("reason"), d.get("detail")) if v)


def _placed(d: dict[str, Any]) -> str:
    return _(
        "I enhed %(unit)s som %(role)s.", unit=d.get("unit", "–"), role=_words(d.get("role", "–"))
    )


def _teams(d: dict[str, Any]) -> str:
    if d.get("unit"):
        return _("Kanal for %(unit)s via %(host)s.", unit=d["unit"], host=d.get("host", "–"))
    return _("Kommunens kanal via %(host)s.", host=d.get("host", "–"))


def _changed(d: dict[str, Any]) -> str:
    if not d.get("changed"):
        return ""
    return _("Ændrede felter: %(fields)s.", fields=_words(d["changed"]))


def _version(d: dict[str, Any]) -> str:
    text = _("Version %(n)s.", n=d.get("number", "?"))
    if "passed" in d:
        text += " " + (
            _("Lykkedes.")
            if d["passed"]
            else _("Mislykkedes: %(reason)s.", reason=d.get("reason") or "?")
        )
    if d.get("left"):
        text += " " + _("I stedet for version %(n)s.", n=d["left"])
    if d.get("changed"):
        text += " " + _changed(d)
    return text


def _report(d: dict[str, Any]) -> str:
    if "format" in d:
        return _("Som %(format)s.", format=str(d["format"]).upper())
    return _(
        "Perioden %(start)s – %(end)s.",
        start=d.get("period_start", "?"),
        end=d.get("period_end", "?"),
    )


def _exported(d: dict[str, Any]) -> str:
    if "entries" not in d:
        return ""
    return ngettext("%(num)s eksempel.", "%(num)s eksempler.", int(d["entries"]))


def _table(d: dict[str, Any]) -> str:
    label = TABLE_LABELS.get(str(d.get("table")), d.get("table", "–"))
    return ngettext(
        "%(table)s som %(format)s, %(num)s række.",
        "%(table)s som %(format)s, %(num)s rækker.",
        int(d.get("rows", 0)),
        table=label,
        format=str(d.get("format", "")).upper(),
    )


# The tables a download can be of (web.tablefilters.export's ``name``).
TABLE_LABELS: dict[str, object] = {
    "enheder": _l("Status pr. enhed"),
    "handlinger": _l("Handlinger"),
    "kampagner": _l("Kampagner"),
    "fejlede-paamindelser": _l("Påmindelser, der ikke kom frem"),
}


DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "auth.login": _login,
    "auth.roles_changed": _roles_changed,
    "auth.login_refused": _refused,
    "admin.user_placed": _placed,
    "teams.webhook_set": _teams,
    "teams.webhook_removed": _teams,
    "sso.settings_updated": _changed,
    "sso.version_drafted": _version,
    "sso.version_tested": _version,
    "sso.version_applied": _version,
    "sso.version_rolled_back": _version,
    "sso.version_discarded": _version,
    "gdpr.settings_updated": _changed,
    "reports.requested": _report,
    "reports.downloaded": _report,
    "collections.exported": _exported,
    "table.exported": _table,
}


def _generic(d: dict[str, Any]) -> str:
    return "; ".join(
        f"{key}: {_words(value)}" for key, value in d.items() if value not in (None, "", [], {})
    )


def describe(entry: AuditEntry) -> str:
    details = entry.details or {}
    describer = DESCRIBERS.get(entry.event, _generic)
    return describer(details)


def who(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return entry.actor.display_name
    return entry.subject or _("Systemet")
