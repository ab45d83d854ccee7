"""Words for ``flask generate``: Danish-looking names, unit names and answer texts.

Kept apart from the generator so its logic reads without the word lists. Nothing here is real
data: the names are common Danish first names and surnames combined at random.
"""

from __future__ import annotations

import random


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words("""
Anne Kirsten Hanne Mette Anna Helle Susanne Lene Maria Marianne Lone Camilla Pia Louise Charlotte
Bente Tina Gitte Inge Karen Ida Emma Sofie Julie Laura Signe Maja Line Birgitte Rikke Trine Heidi
Jette Dorthe Vibeke Merete Lise Tove Ulla Else Malene Nanna Sara Stine Cecilie Freja Astrid Lærke
Peter Jens Michael Lars Henrik Thomas Søren Jan Niels Christian Martin Jørgen Hans Anders Morten
Jesper Ole Per Erik Mads Rasmus Kim Torben Poul Steen Klaus Frederik Mikkel Jakob Jonas Kasper
Nikolaj Bo Carsten Kristian Mogens Flemming Bent Finn Brian Allan René Simon Emil Oliver Bjørn Åge
""")

SURNAMES = _words("""
Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen
Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Knudsen Jakobsen
Mikkelsen Frederiksen Henriksen Laursen Lund Holm Schmidt Eriksen Kristiansen Clausen Simonsen
Svendsen Andreasen Iversen Østergaard Jeppesen Vestergaard Nissen Lauridsen Kjær Jepsen Mogensen
Nørgaard Jessen Søndergaard Bertelsen Bach Dahl Kjeldsen Lassen Skov Friis Damgaard Munk Berg Toft
Brandt Ravn Bruun Kofoed Winther Lindberg Hedegaard Ahmed Ali Nguyen Yilmaz Hviid Juhl Krogh Grøn
""")

AREAS = [
    "Børn og Unge",
    "Sundhed og Omsorg",
    "Social og Beskæftigelse",
    "Teknik og Miljø",
    "Kultur og Fritid",
    "Skole og Uddannelse",
    "Borgerservice",
    "Økonomi og Personale",
    "Handicap og Psykiatri",
    "Erhverv og Udvikling",
]
DEPARTMENT_KINDS = [
    "Hjemmeplejen",
    "Dagtilbud",
    "Skolen",
    "Plejecentret",
    "Bostedet",
    "Jobcentret",
    "Materielgården",
    "Biblioteket",
    "Sundhedsplejen",
    "Ungdomsskolen",
    "Genoptræningen",
    "Familiecentret",
    "Vej og Park",
    "Rådhusets sekretariat",
]
PLACES = [
    "Nord",
    "Syd",
    "Øst",
    "Vest",
    "Midt",
    "Grenaa",
    "Auning",
    "Ørsted",
    "Allingåbro",
    "Glesborg",
    "Vivild",
    "Trustrup",
    "Ørum",
    "Bønnerup",
    "Fjellerup",
    "Gjerrild",
    "Voer",
    "Hemmed",
    "Stenvad",
    "Anholt",
    "Kolind",
    "Ryomgård",
    "Vejlby",
    "Hammelev",
    "Nørager",
    "Tøstrup",
]
TEAM_WORDS = [
    "Solsikken",
    "Dag",
    "Aften",
    "Nat",
    "Rehabilitering",
    "Indskoling",
    "Mellemtrin",
    "Udskoling",
    "Vuggestue",
    "Børnehave",
    "Hus A",
    "Hus B",
    "Køkken",
    "Administration",
    "Drift",
    "Rådgivning",
    "Visitation",
    "Myndighed",
    "Udekørende",
    "Akut",
    "Pleje",
    "Aktivitet",
    "Værksted",
]
CAMPAIGNS = [
    "Aktørskab forår",
    "Aktørskab efterår",
    "Opfølgning på aktørskab",
    "Aktørskab i hele kommunen",
]

_OPENINGS = [
    "Når borgeren står i centrum,",
    "Når vi kender kerneopgaven,",
    "Når rammerne er tydelige,",
    "Når vi tør spørge hinanden,",
    "Når lederen giver plads,",
    "Når vi deler erfaringer,",
    "I de travle perioder",
    "På tavlemødet om morgenen",
    "Når en kollega er syg,",
    "Når noget ikke giver mening for opgaven,",
]
_MIDDLES = [
    "tager vi ansvar for helheden",
    "sætter vi vores faglighed i spil",
    "finder vi en løsning sammen",
    "prøver vi noget nyt i det små",
    "træder vi til uden at vente på lov",
    "siger vi det højt",
    "koordinerer vi på tværs af teams",
    "lader vi fagligheden styre prioriteringen",
    "hjælper vi hinanden med at tage initiativ",
    "følger vi op på det, vi aftalte",
]
_ENDINGS = [
    "og det giver mening for borgeren.",
    "selv om det ikke altid lykkes første gang.",
    "og vi lærer af det bagefter.",
    "så ingen står alene med opgaven.",
    "og vi fortæller lederen, hvad vi har gjort.",
    "inden for de rammer, vi har fået.",
    "fordi fællesskabet bærer.",
    "og det gør arbejdsdagen bedre.",
]
_ACTIONS = [
    "Afprøve en fast runde på tavlemødet om, hvem der tager hvad",
    "Lave en kort huskeliste til nye kolleger om, hvem man spørger",
    "Aftale hvordan vi melder tilbage, når vi har løst noget på egen hånd",
    "Invitere hjemmeplejen til et fælles møde om overgange",
    "Dele et godt eksempel på personalemødet hver måned",
    "Prøve en ny måde at fordele opgaverne på i weekenden",
    "Skrive ned hvilke beslutninger vi selv må træffe",
    "Tale videre om aktørskab på næste personalemøde",
]


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


class Texts:
    """A fixed pool of sentences drawn once from the seed, combined per row (fast)."""

    def __init__(self, rng: random.Random, size: int = 400):
        self.rng = rng
        self.sentences = [
            f"{rng.choice(_OPENINGS)} {rng.choice(_MIDDLES)} {rng.choice(_ENDINGS)}"
            for _ in range(size)
        ]

    def answer(self) -> str:
        return " ".join(self.rng.sample(self.sentences, self.rng.randint(1, 3)))

    def action(self) -> str:
        return f"{self.rng.choice(_ACTIONS)}."

    def example(self, names: list[str]) -> str:
        """About 400 characters, sometimes naming colleagues (redaction has work to do)."""
        parts, length = [], 0
        while length < 400:
            if names and self.rng.random() < 0.15:
                part = f"{self.rng.choice(names)} tog initiativ."
            else:
                part = self.rng.choice(self.sentences)
            parts.append(part)
            length += len(part) + 1
        return " ".join(parts)

    def title(self) -> str:
        return self.rng.choice(_MIDDLES).capitalize()
