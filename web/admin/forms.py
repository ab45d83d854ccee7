from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from web.auth.models import DEFAULT_SCOPES, UnitClaimKind
from web.orgs.models import MembershipRole

ONE_PER_LINE = _l("Én værdi pr. linje, præcis som den står i claimet.")


class SsoSettingsForm(FlaskForm):
    issuer = StringField(_l("Udsteder (issuer)"), validators=[DataRequired(), Length(max=500)],
                         description=_l("Fx https://login.microsoftonline.com/<tenant-id>/v2.0"))
    discovery_url = StringField(
        _l("Discovery-adresse"), validators=[Optional(), Length(max=500)],
        description=_l("Tom: udstederens /.well-known/openid-configuration."))
    client_id = StringField(_l("Klient-id"), validators=[DataRequired(), Length(max=255)])
    # Never rendered back (PasswordField hides its value); empty keeps the stored secret.
    client_secret = PasswordField(_l("Klienthemmelighed"),
                                  validators=[Optional(), Length(max=1000)])
    scopes = StringField(_l("Scopes"), default=DEFAULT_SCOPES,
                         validators=[DataRequired(), Length(max=500)])
    email_claim = StringField(_l("Claim med e-mail"), default="email",
                              validators=[DataRequired(), Length(max=100)])
    name_claim = StringField(_l("Claim med navn"), default="name",
                             validators=[DataRequired(), Length(max=100)])
    unit_claim = StringField(_l("Claim med enhed"), validators=[Optional(), Length(max=100)],
                             description=_l("Tom: enheden kommer ikke fra login."))
    unit_claim_kind = SelectField(_l("Enheden angives ved"), choices=[
        SelectChoice(UnitClaimKind.EXTERNAL_ID.value,
                     _l("enhedens id i HR-systemet (external_id)")),
        SelectChoice(UnitClaimKind.PATH.value, _l("stien af navne, fx Kommune/Område/Afdeling")),
    ], default=UnitClaimKind.EXTERNAL_ID.value)
    roles_claim = StringField(_l("Claim med grupper eller roller"), default="groups",
                              validators=[Optional(), Length(max=100)])
    leader_values = TextAreaField(_l("Værdier der betyder leder"), description=ONE_PER_LINE)
    hr_values = TextAreaField(_l("Værdier der betyder HR"), description=ONE_PER_LINE)
    hovedudvalg_values = TextAreaField(_l("Værdier der betyder Hovedudvalg"),
                                       description=ONE_PER_LINE)
    admin_values = TextAreaField(_l("Værdier der betyder administrator"),
                                 description=ONE_PER_LINE)
    is_enabled = BooleanField(_l("Login er slået til"), default=True)


class PlaceUserForm(FlaskForm):
    unit_id = SelectField(_l("Enhed"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Rolle i enheden"), choices=[
        SelectChoice(MembershipRole.EMPLOYEE.value, _l("Medarbejder")),
        SelectChoice(MembershipRole.LEADER.value, _l("Leder")),
    ], default=MembershipRole.EMPLOYEE.value)
