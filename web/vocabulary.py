"""The memo's vocabulary: the four expectations, KKC and OLFA, with translated labels."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Expectation(enum.StrEnum):
    """De fire forventninger til aktørskab."""

    RESPONSIBILITY = "responsibility"
    CONTEXT = "context"
    FLEXIBLE_AUTHORITY = "flexible_authority"
    AGENCY_FOR_OTHERS = "agency_for_others"

    @property
    def label(self) -> str:
        return str(EXPECTATION_LABELS[self])


EXPECTATION_LABELS = {
    Expectation.RESPONSIBILITY: _l("Tag personligt ansvar for din opgave"),
    Expectation.CONTEXT: _l("Påvirk den sammenhæng, du indgår i, positivt"),
    Expectation.FLEXIBLE_AUTHORITY: _l("Indgå i fleksible autoritetsforhold"),
    Expectation.AGENCY_FOR_OTHERS: _l("Bidrag til aktørskab for andre"),
}


class KKC(enum.StrEnum):
    """Kurs, koordinering, commitment: the leadership strategy."""

    COURSE = "course"
    COORDINATION = "coordination"
    COMMITMENT = "commitment"

    @property
    def label(self) -> str:
        return str(KKC_LABELS[self])


KKC_LABELS = {
    KKC.COURSE: _l("Kurs"),
    KKC.COORDINATION: _l("Koordinering"),
    KKC.COMMITMENT: _l("Commitment"),
}


class OLFA(enum.StrEnum):
    """Organisation, ledelse, fællesskab, ansat: aktørskab tied to task, frame, team, person."""

    ORGANISATION = "organisation"
    LEADERSHIP = "leadership"
    COMMUNITY = "community"
    EMPLOYEE = "employee"

    @property
    def label(self) -> str:
        return str(OLFA_LABELS[self][0])

    @property
    def question(self) -> str:
        return str(OLFA_LABELS[self][1])


OLFA_LABELS = {
    OLFA.ORGANISATION: (
        _l("Organisation"),
        _l("Giver aktørskab mening og gevinst for målet med opgaven?"),
    ),
    OLFA.LEADERSHIP: (
        _l("Ledelse"),
        _l("Er aktørskab i overensstemmelse med rammerne for opgaven?"),
    ),
    OLFA.COMMUNITY: (
        _l("Fællesskab"),
        _l("Giver aktørskab mening og gevinst for arbejdsfællesskabet?"),
    ),
    OLFA.EMPLOYEE: (
        _l("Ansat"),
        _l(
            "Med udgangspunkt i opgaven, rammerne og fællesskabets interesser bliver "
            "den enkelte en ansvarlig aktør."
        ),
    ),
}
