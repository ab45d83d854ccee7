"""The admin's forms: WTForms for rendering and CSRF, validated by the kinds of ``web.inputs``.

WTForms' own validators would answer in English ("Not a valid choice.", "This field is
required."): it ships no Danish messages. Each field is checked by ``Kind`` instead, the same
rules and the same translated messages as every other form and the API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    Form,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation

from web.auth.models import DEFAULT_SCOPES, UnitClaimKind
from web.auth.services import MAX_ROLE_VALUE_LENGTH, MAX_ROLE_VALUES
from web.inputs import Id, read, text
from web.orgs.models import MembershipRole

ONE_PER_LINE = _l("Én værdi pr. linje, præcis som den står i claimet.")
# Every value on its own line (the service checks their number and length).
MAX_ROLE_VALUES_TEXT = MAX_ROLE_VALUES * (MAX_ROLE_VALUE_LENGTH + 1)


class Kind:
    """A WTForms validator: the field's raw value read as a ``web.inputs`` kind."""

    def __init__(self, kind: Any, *, required: bool = False):
        self.kind, self.required = kind, required

    def __call__(self, form: Form, field: Field) -> None:
        errors: dict[str, str] = {}
        raw = field.raw_data[0] if field.raw_data else None
        value = read(errors, field.name, raw, self.kind, required=self.required)
        if errors:
            raise StopValidation(errors[field.name])
        if value is not None and not isinstance(field, SelectField):
            field.data = value


def _text(limit: int, *, required: bool = False) -> list[Kind]:
    return [Kind(text(limit, required=required), required=required)]


def _unit_kind_field() -> SelectField:
    """How the identity provider names a person's unit: one field for OIDC and SAML alike."""
    return SelectField(
        _l("Enheden angives ved"),
        choices=[
            SelectChoice(
                UnitClaimKind.EXTERNAL_ID.value, _l("enhedens id i HR-systemet (external_id)")
            ),
            SelectChoice(
                UnitClaimKind.PATH.value, _l("stien af navne, fx Kommune/Område/Afdeling")
            ),
        ],
        default=UnitClaimKind.EXTERNAL_ID.value,
        validate_choice=False,
        validators=[Kind(UnitClaimKind, required=True)],
    )


class RoleValueFields:
    """The claim or attribute values that mean each tenant role: the same on the OIDC and the
    SAML settings form (rendered by name, so their place in a form's field order is immaterial)."""

    leader_values = TextAreaField(
        _l("Værdier der betyder leder"),
        description=ONE_PER_LINE,
        validators=_text(MAX_ROLE_VALUES_TEXT),
    )
    hr_values = TextAreaField(
        _l("Værdier der betyder HR"),
        description=ONE_PER_LINE,
        validators=_text(MAX_ROLE_VALUES_TEXT),
    )
    hovedudvalg_values = TextAreaField(
        _l("Værdier der betyder Hovedudvalg"),
        description=ONE_PER_LINE,
        validators=_text(MAX_ROLE_VALUES_TEXT),
    )
    admin_values = TextAreaField(
        _l("Værdier der betyder administrator"),
        description=ONE_PER_LINE,
        validators=_text(MAX_ROLE_VALUES_TEXT),
    )


class SsoSettingsForm(RoleValueFields, FlaskForm):
    issuer = StringField(
        _l("Udsteder (issuer)"),
        validators=_text(500, required=True),
        description=_l(
            "Fx https://login.microsoftonline.com/TENANT-ID/v2.0, "
            "hvor TENANT-ID er jeres tenant-id i Microsoft Entra."
        ),
    )
    discovery_url = StringField(
        _l("Discovery-adresse"),
        validators=_text(500),
        description=_l("Tom: udstederens /.well-known/openid-configuration."),
    )
    client_id = StringField(_l("Klient-id"), validators=_text(255, required=True))
    # Never rendered back (PasswordField hides its value); empty keeps the stored secret.
    client_secret = PasswordField(_l("Klienthemmelighed"), validators=_text(1000))
    scopes = StringField(_l("Scopes"), default=DEFAULT_SCOPES, validators=_text(500, required=True))
    email_claim = StringField(
        _l("Claim med e-mail"), default="email", validators=_text(100, required=True)
    )
    name_claim = StringField(
        _l("Claim med navn"), default="name", validators=_text(100, required=True)
    )
    unit_claim = StringField(
        _l("Claim med enhed"),
        validators=_text(100),
        description=_l("Tom: enheden kommer ikke fra login."),
    )
    unit_claim_kind = _unit_kind_field()
    roles_claim = StringField(
        _l("Claim med grupper eller roller"), default="groups", validators=_text(100)
    )
    is_enabled = BooleanField(_l("Login er slået til"), default=True)


class PlaceUserForm(FlaskForm):
    unit_id = SelectField(
        _l("Enhed"), coerce=int, validate_choice=False, validators=[Kind(Id, required=True)]
    )
    role = SelectField(
        _l("Rolle i enheden"),
        choices=[
            SelectChoice(MembershipRole.EMPLOYEE.value, _l("Medarbejder")),
            SelectChoice(MembershipRole.LEADER.value, _l("Leder")),
        ],
        default=MembershipRole.EMPLOYEE.value,
        validate_choice=False,
        validators=[Kind(MembershipRole, required=True)],
    )


SAML_PRESETS = [
    SelectChoice("", _l("Ingen – jeg angiver attributterne selv")),
    SelectChoice("context-handler", _l("KOMBIT Context Handler (OIOSAML 3, privilegier)")),
    SelectChoice("adfs", _l("ADFS")),
    SelectChoice("entra", _l("Microsoft Entra ID (SAML)")),
]
MAX_METADATA_TEXT = 512 * 1024


class SamlSettingsForm(RoleValueFields, FlaskForm):
    metadata_url = StringField(
        _l("Adresse på login-tjenestens metadata"),
        validators=_text(500),
        description=_l(
            "Læses igen hver time, så nye nøgler hos login-tjenesten slår igennem af sig selv."
        ),
    )
    metadata_xml = TextAreaField(
        _l("… eller indsæt metadata (XML)"),
        validators=_text(MAX_METADATA_TEXT),
        description=_l("Bruges i stedet for adressen, hvis feltet er udfyldt."),
    )
    preset = SelectField(
        _l("Færdig opsætning af attributter"),
        choices=SAML_PRESETS,
        default="",
        validate_choice=False,
        description=_l("Udfylder de tomme attributfelter nedenfor."),
    )
    name_attribute = StringField(_l("Attribut med navn"), validators=_text(100))
    email_attribute = StringField(_l("Attribut med e-mail"), validators=_text(100))
    unit_attribute = StringField(_l("Attribut med enhed"), validators=_text(100))
    unit_kind = _unit_kind_field()
    roles_attribute = StringField(
        _l("Attribut med grupper, roller eller privilegier"), validators=_text(100)
    )
    privileges_attribute = StringField(
        _l("Attribut med privilegieliste (Context Handler)"),
        validators=_text(100),
        description=_l(
            "Base64-kodet liste af privilegier med scopes; enheder læses af "
            "organisationsenheds-afgrænsningerne."
        ),
    )
    required_loa = SelectField(
        _l("Krævet NSIS-sikringsniveau"),
        choices=[
            SelectChoice("Low", _l("Lav")),
            SelectChoice("Substantial", _l("Betydelig")),
            SelectChoice("High", _l("Høj")),
        ],
        default="Substantial",
        validate_choice=False,
    )
    is_enabled = BooleanField(_l("Login er slået til"), default=True)
