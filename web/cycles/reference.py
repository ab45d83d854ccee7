"""The memo's reference material shown beside the prompts: expectations, KKC, OLFA, values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from web.vocabulary import KKC, OLFA, Expectation

if TYPE_CHECKING:
    from web.tenants.models import Tenant

# i18n: short summaries of the memo's description of kurs, koordinering and commitment.
KKC_DESCRIPTIONS = {
    KKC.COURSE: _l(
        "Fælles, engagerende og realistiske visioner, mål og opgaver – forankret i kerneopgaven."
    ),
    KKC.COORDINATION: _l(
        "Hvordan vi deler og skaber viden og giver feedback, hjælp og "
        "sparring; koordineringen opstår omkring opgaven hos dem, der løser "
        "den."
    ),
    KKC.COMMITMENT: _l(
        "Gensidig forpligtelse og motivation ud fra vores formål og den værdi, vi "
        "skaber – med relationer, tillid og plads til tvivl."
    ),
}


@dataclass(frozen=True)
class Reference:
    expectations: list[str]
    kkc: list[tuple[str, str]]  # (label, description)
    olfa: list[tuple[str, str]]  # (label, question)
    values: list[str]  # the tenant's own value code, e.g. Vores Norddjurs


def reference_for(tenant: Tenant) -> Reference:
    values = (tenant.settings or {}).get("values") or []
    return Reference(
        expectations=[e.label for e in Expectation],
        kkc=[(k.label, str(KKC_DESCRIPTIONS[k])) for k in KKC],
        olfa=[(o.label, o.question) for o in OLFA],
        values=[str(v) for v in values if str(v).strip()],
    )
