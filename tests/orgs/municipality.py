"""A realistic municipal organisation as CSV files, made from a seed.

86 units (an organisation, 5 areas, 20 departments, 60 teams), 692 people, Danish letters,
commas and quotes in unit names, two same-named sibling teams ("Team 2" twice under
"Dagtilbud Syd"), an empty team, people without a unit, 25 people with a second unit and a
leader of three units (27 rows in memberships.csv). ``Organisation.memberships`` is what the
files say, computed here independently of the import, so a test can compare.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field

AREAS = [
    "Børn og Unge",
    'Sundhed, Pleje og "Omsorg"',
    "Teknik & Miljø",
    "Økonomi, Løn",
    "Kultur og Fritid",
]
FIRST = [
    "Anne",
    "Søren",
    "Mette",
    "Jørgen",
    "Åse",
    "Bo",
    "Lærke",
    "Øjvind",
    "Ida",
    "Mads",
    "Sofie",
    "Niels",
    "Zoë",
    "Ærbødig",
    "Karen",
    "Ole",
]
LAST = [
    "Jensen",
    "Nielsen",
    "Sørensen",
    "Østergaard",
    "Ågård",
    "Hansen",
    "Læssøe",
    "Bæk",
    "Møller",
    "Kjær",
    "D'Angelo",
    "Brøndum-Hansen",
]
PEOPLE = 692
UNPLACED = 4  # people.csv rows without a unit
SECOND_UNITS = 25


@dataclass
class Organisation:
    units: list[dict]
    people: list[dict]
    extra: list[dict]
    empty_unit: str
    tri_leader: str
    memberships: set[tuple[str, str, str]] = field(default_factory=set)

    def files(self, *, without: set[str] = frozenset()) -> dict[str, str]:
        """The three files' text; ``without``: subjects left out of people and memberships."""
        return {
            "units": _csv(["external_id", "name", "kind", "parent_external_id"], self.units),
            "people": _csv(
                [
                    "subject",
                    "email",
                    "display_name",
                    "locale",
                    "unit_external_id",
                    "unit_role",
                    "tenant_roles",
                ],
                [p for p in self.people if p["subject"] not in without],
            ),
            "memberships": _csv(
                ["subject", "unit_external_id", "unit_role"],
                [m for m in self.extra if m["subject"] not in without],
            ),
        }


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def build(seed: int = 17) -> Organisation:
    rnd = random.Random(seed)
    units = [
        {
            "external_id": "K",
            "name": "Norddjurs Kommune",
            "kind": "organisation",
            "parent_external_id": "",
        }
    ]
    teams: list[str] = []
    departments: list[str] = []
    for a, area in enumerate(AREAS):
        area_id = f"A{a}"
        units.append(
            {"external_id": area_id, "name": area, "kind": "area", "parent_external_id": "K"}
        )
        for d in range(4):
            dep_id = f"{area_id}D{d}"
            name = "Dagtilbud Syd" if (a, d) == (0, 1) else f"{area.split(',')[0]} afd. {d + 1}"
            units.append(
                {
                    "external_id": dep_id,
                    "name": name,
                    "kind": "department",
                    "parent_external_id": area_id,
                }
            )
            departments.append(dep_id)
            for t in range(3):
                team_id = f"{dep_id}T{t}"
                # Two sibling teams of the same name: "Dagtilbud Syd/Team 2" is ambiguous.
                team = "Team 2" if (a, d) == (0, 1) and t in (1, 2) else f"Team {t + 1}"
                units.append(
                    {
                        "external_id": team_id,
                        "name": team,
                        "kind": "team",
                        "parent_external_id": dep_id,
                    }
                )
                teams.append(team_id)
    assert len(units) == 86
    empty_unit = teams[-1]
    placeable = teams[:-1]

    people, memberships = [], set()
    for n in range(PEOPLE):
        subject = f"P{n:05d}"
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        unit, role = "", ""
        if n >= UNPLACED:
            if n < UNPLACED + len(departments):
                unit, role = departments[n - UNPLACED], "leader"
            else:
                unit, role = rnd.choice(placeable), "employee"
            memberships.add((subject, unit, role))
        people.append(
            {
                "subject": subject,
                "email": f"{subject.lower()}@norddjurs.dk",
                "display_name": name,
                "locale": rnd.choice(["da", "da", "en", ""]),
                "unit_external_id": unit,
                "unit_role": role,
                "tenant_roles": "hr" if n == 0 else "",
            }
        )
    # A leader of three units: their department (people.csv) and two teams (memberships.csv).
    tri_leader = f"P{UNPLACED:05d}"
    extra = [
        {"subject": tri_leader, "unit_external_id": t, "unit_role": "leader"} for t in placeable[:2]
    ]
    employees = [p for p in people if p["unit_role"] == "employee"]
    for person in rnd.sample(employees, SECOND_UNITS):
        second = rnd.choice([t for t in placeable if t != person["unit_external_id"]])
        extra.append(
            {"subject": person["subject"], "unit_external_id": second, "unit_role": "employee"}
        )
    for m in extra:
        memberships.add((m["subject"], m["unit_external_id"], m["unit_role"]))
    assert len(extra) == 27
    return Organisation(units, people, extra, empty_unit, tri_leader, memberships)
