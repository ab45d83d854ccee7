"""A labelled set for the themes: 360 Danish collection entries in 10 known themes, written for
this purpose (not taken from any municipality), and 30 held-back search queries.

Each theme has its own sentences: what the team did (six), how it went well (three) and how it
went wrong (three). An entry is one workplace + one action + one outcome, so each theme has 18
good examples and 18 lessons, and good examples and lessons of one area share a theme (as the
issue asks). Workplaces are shared across themes on purpose: "i hjemmeplejen" must not decide a
theme. The queries are worded apart from the entries (no sentence of them is reused).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

WORKPLACES = (
    "I hjemmeplejen",
    "På plejecentret",
    "I børnehaven",
    "På skolen",
    "I jobcentret",
    "I borgerservice",
    "På rådhuset",
    "I vej og park",
    "På biblioteket",
)


@dataclass(frozen=True)
class Theme:
    key: str
    title: str
    actions: tuple[str, ...]
    good: tuple[str, ...]
    bad: tuple[str, ...]
    queries: tuple[str, ...]


THEMES = (
    Theme(
        "tidspunkt",
        "Borgeren vælger tidspunktet",
        (
            "lod vi borgerne selv vælge, hvornår på dagen hjælpen kommer.",
            "spurgte vi hver borger, hvilket tidspunkt for besøget der passer bedst.",
            "indførte vi et tidsvindue, som borgeren selv bestemmer.",
            "fik borgerne lov at flytte deres besøg til et tidspunkt, de selv valgte.",
            "planlagde vi ruterne efter borgernes ønsker til besøgstid i stedet for vores egne.",
            "gav vi borgerne mulighed for at booke tiden for deres bad og rengøring.",
        ),
        (
            "Borgerne følte sig hørt og var mere tilfredse med besøgene.",
            "Færre borgere aflyste, fordi tiden passede ind i deres hverdag.",
            "Borgerne var hjemme og klar, når vi kom.",
        ),
        (
            "Ruterne blev så lange, at vi ikke nåede alle besøg til den aftalte tid.",
            "Alle ønskede morgenbesøg, og vi kunne ikke opfylde ønskerne.",
            "Borgerne blev skuffede, når det valgte tidspunkt alligevel blev flyttet.",
        ),
        (
            "borgere bestemmer selv hvornår de får besøg",
            "fleksible besøgstider efter borgerens ønske",
            "hjemmehjælp på det tidspunkt borgeren foretrækker",
        ),
    ),
    Theme(
        "vagtplan",
        "Vi lægger selv vagtplanen",
        (
            "lagde medarbejderne selv vagtplanen for de næste otte uger.",
            "byttede vi vagter indbyrdes uden at gå gennem lederen.",
            "indførte vi selvplanlægning, hvor hver medarbejder skriver sine ønskevagter ind.",
            "fordelte vi weekendvagterne selv på et fælles møde.",
            "tog vi selv ansvaret for at dække vagterne ved ferie.",
            "lavede vi en fælles vagtbog, hvor alle kan se og bytte vagter.",
        ),
        (
            "Vagtplanen blev mere retfærdig, og færre klagede over weekenderne.",
            "Medarbejderne fik bedre balance mellem arbejde og familieliv.",
            "Det blev lettere at få dækket vagterne, også i ferien.",
        ),
        (
            "De samme få kolleger endte med alle de dårlige vagter.",
            "Vagtplanen var ikke færdig til tiden, og lederen måtte overtage den.",
            "Uenighed om juleferien gav konflikter i gruppen.",
        ),
        (
            "medarbejderne planlægger deres egne arbejdstider",
            "selvplanlægning af vagter i gruppen",
            "fordeling af weekendvagter uden lederen",
        ),
    ),
    Theme(
        "introduktion",
        "En god start for nye kolleger",
        (
            "fik hver ny kollega en fast makker de første tre måneder.",
            "lavede vi et introduktionsprogram for nyansatte med en plan for hver dag.",
            "holdt vi en velkomstsamtale med alle nye medarbejdere efter den første uge.",
            "skrev vi en lille håndbog til nye kolleger om, hvordan vi gør tingene.",
            "lod vi nyansatte følge en erfaren medarbejder, før de arbejdede alene.",
            "tog vi imod elever og nyuddannede med en mentor fra teamet.",
        ),
        (
            "De nye kolleger faldt hurtigere til og blev i jobbet.",
            "Nyansatte sagde, at de følte sig velkomne fra første dag.",
            "Der kom færre fejl i de nye kollegers første måneder.",
        ),
        (
            "Makkerne havde ikke tid, og de nye stod alene alligevel.",
            "Håndbogen blev hurtigt forældet, og ingen opdaterede den.",
            "Introduktionen var så lang, at de nye kolleger kedede sig.",
        ),
        (
            "oplæring af nyansatte medarbejdere",
            "mentorordning for nye på arbejdspladsen",
            "hvordan tager vi godt imod en ny kollega",
        ),
    ),
    Theme(
        "moeder",
        "Kortere og bedre møder",
        (
            "afkortede vi personalemødet fra to timer til tre kvarter.",
            "holdt vi stående morgenmøder på ti minutter.",
            "sendte vi dagsordenen ud dagen før, så alle kunne forberede sig.",
            "skiftedes vi til at være mødeleder og tidtager.",
            "droppede vi punkter uden beslutning fra dagsordenen og tog dem på mail.",
            "sluttede vi hvert møde med at skrive, hvem der gør hvad.",
        ),
        (
            "Møderne blev kortere, og beslutningerne blev faktisk fulgt op.",
            "Flere kolleger sagde noget på møderne end før.",
            "Vi fik en time mere om ugen til kerneopgaven.",
        ),
        (
            "Møderne blev så korte, at de svære emner aldrig blev taget op.",
            "Ingen læste dagsordenen, så forberedelsen virkede ikke.",
            "Referaterne blev ikke skrevet, og vi glemte hvad vi havde aftalt.",
        ),
        (
            "effektive møder med klar dagsorden",
            "mindre tid brugt til møder",
            "hvordan gør vi vores personalemøder bedre",
        ),
    ),
    Theme(
        "digital",
        "Nye digitale værktøjer",
        (
            "tog vi tablets i brug, så dokumentationen sker hos borgeren.",
            "indførte vi et nyt fagsystem og lærte hinanden at bruge det.",
            "udpegede vi en superbruger, der hjælper kolleger med it.",
            "flyttede vi vores skemaer fra papir til et digitalt system.",
            "afprøvede vi en app, der sender påmindelser til borgerne.",
            "brugte vi videomøder i stedet for at køre ud til alle samtaler.",
        ),
        (
            "Vi sparede tid på skrivearbejdet og fik færre dobbeltregistreringer.",
            "Kollegerne blev trygge ved systemet og hjalp hinanden.",
            "Oplysningerne var altid ajour, når næste kollega skulle bruge dem.",
        ),
        (
            "Systemet gik ned igen og igen, og vi måtte tilbage til papir.",
            "Flere kolleger følte sig usikre på teknikken og undgik den.",
            "Den trådløse forbindelse var for dårlig til at bruge skærmene.",
        ),
        (
            "it og teknologi i det daglige arbejde",
            "skift fra papir til elektronisk dokumentation",
            "hjælp til kolleger med computere og programmer",
        ),
    ),
    Theme(
        "trivsel",
        "Trivsel og mindre stress",
        (
            "talte vi åbent om arbejdspres på hvert teammøde.",
            "indførte vi en fast pause, hvor ingen tager telefonen.",
            "lavede vi en aftale om, at ingen læser mail efter arbejdstid.",
            "holdt vi øje med hinanden og sagde til, når en kollega virkede presset.",
            "fik vi en ordning, hvor man kan bede om hjælp uden at forklare sig.",
            "tog vi en trivselsmåling hver måned og talte om resultatet.",
        ),
        (
            "Sygefraværet faldt, og flere sagde, at de havde det godt på arbejdet.",
            "Det blev lettere at sige fra, før det blev for meget.",
            "Stemningen blev bedre, og færre følte sig stressede.",
        ),
        (
            "Snakken om travlhed blev til brok, uden at noget ændrede sig.",
            "Pausen blev ofte droppet, når der var travlt.",
            "Det var de samme, der altid hjalp, og de blev selv slidt.",
        ),
        (
            "forebyggelse af stress blandt medarbejderne",
            "psykisk arbejdsmiljø og sygefravær",
            "at passe på hinanden når der er travlt",
        ),
    ),
    Theme(
        "paaroerende",
        "Samarbejdet med pårørende og forældre",
        (
            "inviterede vi de pårørende til et fast møde hvert kvartal.",
            "sendte vi et kort nyhedsbrev til forældrene hver fredag.",
            "ringede vi til familien, når noget gik godt, ikke kun når noget var galt.",
            "lavede vi en fast kontaktperson for hver familie.",
            "tog vi forældrene med på råd, før vi ændrede dagens rytme.",
            "holdt vi et åbent hus, hvor pårørende kunne se, hvordan vi arbejder.",
        ),
        (
            "Familierne fik mere tillid til os, og der kom færre klager.",
            "Forældrene hjalp med ideer, vi ikke selv havde fået.",
            "De pårørende vidste, hvem de skulle kontakte.",
        ),
        (
            "Kun få pårørende kom til møderne, og det gik i stå.",
            "Nogle forældre ringede så ofte, at det tog al vores tid.",
            "Kontaktpersonen var tit syg, og familierne vidste ikke, hvem de skulle ringe til.",
        ),
        (
            "kommunikation med familie og pårørende",
            "inddragelse af forældre i hverdagen",
            "bedre dialog med borgerens nærmeste",
        ),
    ),
    Theme(
        "tvaerfaglig",
        "Samarbejde på tværs af afdelinger",
        (
            "holdt vi fælles møder med sygeplejen og terapeuterne om de samme borgere.",
            "sad en medarbejder fra jobcentret med i vores team en dag om ugen.",
            "lavede vi en fælles plan med socialrådgiverne for hver sag.",
            "inviterede vi kollegerne fra den anden forvaltning til at se vores arbejde.",
            "aftalte vi en hurtig telefonlinje mellem skolen og sundhedsplejen.",
            "delte vi opgaverne med naboafdelingen i stedet for at sende sager frem og tilbage.",
        ),
        (
            "Borgerne skulle ikke fortælle deres historie flere gange.",
            "Sagerne blev løst hurtigere, fordi vi talte direkte sammen.",
            "Vi forstod bedre de andre faggruppers arbejde.",
        ),
        (
            "Møderne på tværs blev aflyst, når der var travlt i en af afdelingerne.",
            "Vi havde forskellige regler og systemer og kunne ikke dele oplysningerne.",
            "Det var uklart, hvem der havde ansvaret, og sagen faldt mellem to stole.",
        ),
        (
            "fagligt samarbejde med andre forvaltninger",
            "koordinering mellem forskellige faggrupper",
            "kortere vej mellem afdelingerne i kommunen",
        ),
    ),
    Theme(
        "groen",
        "Grøn omstilling i hverdagen",
        (
            "begyndte vi at sortere affaldet i ti fraktioner.",
            "skiftede vi bilerne ud med elcykler til korte ture.",
            "slukkede vi for lys og skærme, når ingen var i lokalet.",
            "lavede vi et byttehjørne for møbler og materialer.",
            "handlede vi lokale og økologiske råvarer til køkkenet.",
            "mindskede vi madspildet ved at veje det, der blev smidt ud.",
        ),
        (
            "Energiforbruget faldt, og det kunne ses på regningen.",
            "Madspildet blev halveret på et halvt år.",
            "Kollegerne var stolte af at gøre noget for klimaet.",
        ),
        (
            "Sorteringen blev blandet sammen igen, når der kom vikarer.",
            "Elcyklerne stod ubrugte hen over vinteren.",
            "De økologiske varer blev for dyre til budgettet.",
        ),
        (
            "miljø og klima på arbejdspladsen",
            "mindre spild og mere genbrug",
            "bæredygtighed og energibesparelser",
        ),
    ),
    Theme(
        "feedback",
        "Kollegial sparring og læring",
        (
            "gav vi hinanden feedback efter svære samtaler.",
            "holdt vi faglig sparring i små grupper hver anden uge.",
            "lod vi kolleger observere hinandens arbejde og give råd.",
            "delte vi en fejl hver uge, så alle kunne lære af den.",
            "afholdt vi korte oplæg, hvor en kollega fortalte om sit speciale.",
            "lavede vi en fælles refleksion efter hver større opgave.",
        ),
        (
            "Vi blev dygtigere og turde prøve nye måder at arbejde på.",
            "Kollegerne lærte af hinandens erfaringer i stedet for at kursus.",
            "Det blev naturligt at spørge om hjælp til en faglig tvivl.",
        ),
        (
            "Feedbacken blev opfattet som kritik, og nogle trak sig.",
            "Sparringen blev nedprioriteret, når kalenderen var fuld.",
            "Kun de erfarne talte, og de nye lærte ikke noget.",
        ),
        (
            "at lære af hinanden fagligt",
            "faglig udvikling gennem tilbagemeldinger fra kolleger",
            "supervision og refleksion i teamet",
        ),
    ),
)


@dataclass(frozen=True)
class LabelledEntry:
    theme: str
    kind: str  # "good" or "lesson"
    title: str
    text: str
    lesson: str | None


def entries() -> list[LabelledEntry]:
    result = []
    n = 0
    for theme in THEMES:
        for outcomes, kind in ((theme.good, "good"), (theme.bad, "lesson")):
            for action, outcome in product(theme.actions, outcomes):
                place = WORKPLACES[n % len(WORKPLACES)]
                n += 1
                text = f"{place} {action} {outcome}" if kind == "good" else f"{place} {action}"
                title = " ".join(action.rstrip(".").split()[2:8]).capitalize()
                result.append(
                    LabelledEntry(
                        theme.key, kind, title, text, outcome if kind == "lesson" else None
                    )
                )
    return result


def queries() -> list[tuple[str, str]]:
    """(query, theme) pairs, held back: no query text occurs in any entry."""
    return [(q, t.key) for t in THEMES for q in t.queries]
