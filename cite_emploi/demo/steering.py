"""Fictitious steering for the demo: two action plans, their money, their targets and two years and more of committees.

- **The GPSEA plan 2022-2023** (« Plan d'actions 2022-2023 »), the seed's « premiers contours » made
  into twelve actions: the seed's four axes (recrutement innovant, présence du service public de
  l'emploi, valorisation des CV, levée des freins) and two of the national programme (aller-vers,
  fédérer les acteurs). Adopted by the COPIL of December 2021, closed since: every action is done.
  Its targets are manual (the platform did not exist then), with their final readings.
- **The plan 2024-2026** (« Plan d'actions 2024-2026 »), adopted and running now, with nine actions
  whose targets are bound to the diagnostic's registry (people met in aller-vers at Le Bois l'Abbé,
  hires from the recruitment operations, barriers lifted at Mont-Mesly…) so that their actuals come
  from the rest of the demo, and a few manual ones with readings.
- **Money.** The Cité de l'emploi subsidy (« Subvention Cité de l'emploi — État (ANCT) »: 100 000 € for
  2022 and 100 000 € for 2023) spread over the first plan's actions in full; co-funding from the
  State's other credits, GPSEA, Créteil, Alfortville and the Département for both plans. Each
  (funding, year) is spread over the actions it funds by their weight, never beyond what it grants.
  Expenses with a label and a fictitious supplier, dated inside their action and year and never
  after today; past years consumed at 90 to 100 %, two actions of the current plan under-consuming
  this year so that the under-spend alert has something to say.
- **Governance.** A COPIL co-chaired by the préfet and the president of GPSEA with the mayors (the
  communes' services as organisations) and a COTECH of the operators; a COPIL twice a year and a
  COTECH every quarter from the installation in December 2021 to today, with agenda, attendees
  (roles, and fictitious names of staff only), minutes and decisions, and the next meeting of each
  with its agenda only. Old decisions are done (a few abandoned); the latest are open, some overdue,
  some due within the month.
- **The diagnostic gap** each barrier action answers is read from the demo's diagnostic version
  (its snapshot of ``diagnostic.gaps.gap_analysis``): the first gap of the action's category,
  in one of its quartiers when there is one.

Every record that has the flag is ``is_demo=True`` (set once the services have written it: they
take no such field). Writes go through the steering services, as a coordinator's would (their rules
hold for the demo too), and each leaves its audit entry; only a done or abandoned decision's
follow-up line is re-dated to the day it happened, since the service dates it today. No expense has
a supporting document: the demo writes no file. About 1 s on SQLite.
Deterministic (``random.Random(SEED)``; statuses, readings and expenses follow ``today``), written once:
when the territory already holds a demo plan, nothing is written again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from cite_emploi.accounts.models import User
from cite_emploi.diagnostic.models import ReportVersion
from cite_emploi.partners.models import Organisation
from cite_emploi.steering import services_committees, services_money, services_plan, services_targets
from cite_emploi.steering.models import (
    Action,
    ActionPlan,
    Axis,
    Committee,
    Decision,
    Funding,
    Meeting,
    Public,
)
from cite_emploi.steering.money import format_euros
from cite_emploi.territory.models import QPV

from .partners import EXTRA_ORGANISATIONS

SEED = 2029
COORDINATOR = "coordinator@demo.test"
ALL_PUBLICS = (Public.YOUNG, Public.ADULT, Public.SENIOR)
SEED_QPVS = ("QN09404M", "QN09406I", "QN09405M", "QN09420M", "QN09431M", "QN09403M", "QN09424I")
ALL_QPVS = (*SEED_QPVS, "QN09438N", "QN09439N")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DemoTarget:
    label: str
    target: int
    indicator: str = ""
    where: tuple[str, str] | None = None  # ("qpv" | "commune", code)
    unit: str = ""
    # Manual targets: (measured on, value) readings; only those up to today are written.
    readings: tuple[tuple[date, int], ...] = ()
    starts_on: date | None = None  # default: the action's dates
    ends_on: date | None = None


@dataclass(frozen=True)
class DemoAction:
    axis: str
    title: str
    description: str
    lead: str
    partners: tuple[str, ...]
    qpvs: tuple[str, ...]
    publics: tuple[str, ...]
    starts_on: date
    ends_on: date
    # Share of each funding of the action's plan it receives, relative to the other actions it funds.
    weight: int
    funders: tuple[str, ...]
    milestones: tuple[tuple[str, date], ...]
    targets: tuple[DemoTarget, ...]
    gap: str = ""  # the data·inclusion category of the need it answers
    # Spending: « slow » actions consume a third of what the elapsed time calls for this year.
    slow: bool = False
    # Past years: the share of the planned budget spent (default: drawn between 90 and 100 %).
    past_rate: float | None = None


@dataclass(frozen=True)
class DemoPlan:
    title: str
    starts_on: date
    ends_on: date
    adopted_on: date
    closed_after: bool  # closed once its end is past
    actions: tuple[DemoAction, ...]


@dataclass(frozen=True)
class DemoFunding:
    key: str
    title: str
    kind: str
    funder: str
    organisation: str | None
    reference: str
    years: dict[int, int]
    notes: str = ""


FUNDINGS = (
    DemoFunding(
        "cite",
        "Subvention Cité de l'emploi — État (ANCT)",
        Funding.Kind.CITE_SUBSIDY,
        "État — Agence nationale de la cohésion des territoires (ANCT)",
        "prefecture",
        "Convention attributive n° DEMO-ANCT-2021-094 (fictive)",
        {2022: 100_000, 2023: 100_000},
        "Labellisation de juillet 2021 : 100 000 € par an pendant deux ans (montants fictifs de démonstration).",
    ),
    DemoFunding(
        "etat",
        "Crédits politique de la ville — État",
        Funding.Kind.STATE,
        "État — préfecture du Val-de-Marne (crédits politique de la ville)",
        "prefecture",
        "Arrêtés annuels de subvention n° DEMO-PDV-94 (fictifs)",
        {2022: 30_000, 2023: 30_000, 2024: 90_000, 2025: 90_000, 2026: 90_000},
    ),
    DemoFunding(
        "ept",
        "Participation de Grand Paris Sud Est Avenir",
        Funding.Kind.TERRITORY,
        "Grand Paris Sud Est Avenir (EPT)",
        "cite",
        "Délibérations budgétaires annuelles (fictives)",
        {2022: 40_000, 2023: 40_000, 2024: 80_000, 2025: 80_000, 2026: 80_000},
    ),
    DemoFunding(
        "creteil",
        "Participation de la Ville de Créteil",
        Funding.Kind.COMMUNE,
        "Ville de Créteil",
        "creteil",
        "Convention de cofinancement n° DEMO-CRE-2022 (fictive)",
        {2022: 15_000, 2023: 15_000, 2024: 25_000, 2025: 25_000, 2026: 25_000},
    ),
    DemoFunding(
        "alfortville",
        "Participation de la Ville d'Alfortville",
        Funding.Kind.COMMUNE,
        "Ville d'Alfortville",
        "ville-alfortville",
        "Convention de cofinancement n° DEMO-ALF-2022 (fictive)",
        {2022: 10_000, 2023: 10_000, 2024: 15_000, 2025: 15_000, 2026: 15_000},
    ),
    DemoFunding(
        "departement",
        "Fonds départemental d'insertion — Val-de-Marne",
        Funding.Kind.DEPARTMENT,
        "Conseil départemental du Val-de-Marne",
        None,
        "Convention pluriannuelle n° DEMO-CD94-2024 (fictive)",
        {2024: 30_000, 2025: 40_000, 2026: 40_000},
    ),
)

PLAN_2022 = DemoPlan(
    "Plan d'actions 2022-2023",
    date(2022, 1, 1),
    date(2023, 12, 31),
    date(2021, 12, 14),
    True,
    (
        DemoAction(
            Axis.RECRUITMENT,
            "Job datings trimestriels dans les quartiers",
            "Un job dating par trimestre dans un quartier différent, avec des employeurs qui recrutent sur le "
            "territoire. Les candidats sont préparés par leur référent (CV, entretien) et accompagnés le jour même.",
            "ft",
            ("ml", "cap", "plie", "creteil", "ville-alfortville"),
            ("QN09405M", "QN09404M", "QN09406I"),
            ALL_PUBLICS,
            date(2022, 2, 1),
            date(2023, 12, 31),
            14,
            ("cite", "etat", "creteil"),
            (
                ("Premier job dating au Mont-Mesly", date(2022, 3, 24)),
                ("Job dating à Chantereine", date(2022, 10, 13)),
                ("Bilan des huit job datings au COPIL", date(2023, 12, 12)),
            ),
            (
                DemoTarget(
                    "Job datings organisés dans les quartiers",
                    8,
                    unit="opérations",
                    readings=((date(2022, 12, 31), 4), (date(2023, 12, 31), 9)),
                ),
                DemoTarget(
                    "Personnes recrutées à l'issue des job datings",
                    60,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 27), (date(2023, 12, 31), 71)),
                ),
            ),
        ),
        DemoAction(
            Axis.RECRUITMENT,
            "Recrutement par simulation dans la logistique et la grande distribution",
            "Des sessions de recrutement par simulation (méthode des habiletés) avec les entrepôts et "
            "l'hypermarché de la zone d'activités : on évalue ce que la personne sait faire, pas son CV.",
            "ft-boissy",
            ("plie", "employer", "employer-grande-surface"),
            ("QN09403M", "QN09420M"),
            (Public.ADULT, Public.SENIOR),
            date(2022, 4, 1),
            date(2023, 6, 30),
            8,
            ("cite", "ept"),
            (
                ("Exercices de simulation validés avec les employeurs", date(2022, 5, 31)),
                ("Première session de recrutement", date(2022, 6, 23)),
            ),
            (
                DemoTarget(
                    "Candidats évalués par la méthode de recrutement par simulation",
                    120,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 64), (date(2023, 6, 30), 134)),
                ),
            ),
        ),
        DemoAction(
            Axis.PRESENCE,
            "Permanences hebdomadaires du service public de l'emploi dans les quartiers",
            "Une permanence par semaine dans chaque quartier de la Cité, tenue à tour de rôle par France "
            "Travail, la Mission locale et Cap emploi dans les locaux des associations de quartier.",
            "ft",
            (
                "ml",
                "cap",
                "asso-mesly",
                "asso-bois",
                "asso-chantereine",
                "asso-fabien",
                "asso-haie",
                "asso-bleuets",
            ),
            SEED_QPVS,
            ALL_PUBLICS,
            date(2022, 1, 3),
            date(2023, 12, 31),
            16,
            ("cite", "etat", "ept"),
            (
                ("Calendrier des permanences arrêté avec les associations", date(2022, 1, 31)),
                ("Permanences ouvertes dans les sept quartiers", date(2022, 4, 30)),
                ("Bilan de fréquentation par quartier", date(2023, 6, 30)),
            ),
            (
                DemoTarget(
                    "Permanences tenues dans les quartiers",
                    600,
                    unit="permanences",
                    readings=((date(2022, 12, 31), 290), (date(2023, 12, 31), 612)),
                ),
            ),
        ),
        DemoAction(
            Axis.PRESENCE,
            "Bus de l'emploi au Bois l'Abbé et à La Haie Griselle",
            "Un bus aménagé stationne deux demi-journées par semaine au pied des immeubles : information, "
            "inscription, premier rendez-vous avec un conseiller.",
            "chennevieres",
            ("asso-bois", "asso-haie", "ml", "ft-boissy"),
            ("QN09424I", "QN09403M"),
            ALL_PUBLICS,
            date(2022, 5, 2),
            date(2023, 12, 31),
            9,
            ("cite", "ept"),
            (
                ("Bus aménagé livré", date(2022, 5, 2)),
                ("Tournées étendues à La Haie Griselle", date(2022, 11, 7)),
            ),
            (
                DemoTarget(
                    "Personnes rencontrées au bus de l'emploi",
                    1500,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 640), (date(2023, 12, 31), 1480)),
                ),
            ),
        ),
        DemoAction(
            Axis.CV,
            "CVthèque anonymisée et présentation de profils aux employeurs",
            "Les personnes suivies qui ont un projet professionnel déposent un profil anonymisé ; la "
            "coordination en présente chaque mois une sélection aux employeurs partenaires.",
            "cite",
            ("ft", "ml", "plie", "cap"),
            (),
            ALL_PUBLICS,
            date(2022, 9, 1),
            date(2023, 12, 31),
            7,
            ("cite",),
            (
                ("Charte d'utilisation signée par les employeurs", date(2022, 10, 31)),
                ("Première présentation de profils", date(2022, 11, 17)),
            ),
            (
                DemoTarget(
                    "Profils présentés aux employeurs partenaires",
                    200,
                    unit="profils",
                    readings=((date(2023, 6, 30), 85), (date(2023, 12, 31), 214)),
                ),
            ),
        ),
        DemoAction(
            Axis.CV,
            "Ateliers CV, simulations d'entretien et vestiaire solidaire",
            "Des ateliers collectifs pour écrire son CV et se préparer à l'entretien, et une tenue prêtée "
            "par le vestiaire solidaire pour le jour J.",
            "asso-cravate",
            ("ml", "e2c", "asso-mesly"),
            ("QN09405M", "QN09406I"),
            (Public.YOUNG, Public.ADULT),
            date(2022, 3, 1),
            date(2023, 12, 31),
            6,
            ("cite", "creteil"),
            (("Premier cycle d'ateliers", date(2022, 3, 31)),),
            (
                DemoTarget(
                    "Participants aux ateliers CV",
                    300,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 150), (date(2023, 12, 31), 326)),
                ),
            ),
        ),
        DemoAction(
            Axis.BARRIERS,
            "Mobilité : aide au permis et location solidaire de véhicules",
            "Des heures de conduite financées pour les personnes dont le projet l'exige, et des scooters et "
            "voitures loués à prix solidaire le temps de la période d'essai.",
            "asso-mobilite",
            ("ft", "ml", "plie", "ccas-bonneuil"),
            ("QN09405M", "QN09403M", "QN09420M"),
            (Public.YOUNG, Public.ADULT),
            date(2022, 3, 1),
            date(2023, 12, 31),
            12,
            ("cite", "ept", "alfortville"),
            (
                ("Convention avec l'auto-école solidaire", date(2022, 3, 15)),
                ("Flotte de location solidaire disponible", date(2022, 9, 1)),
            ),
            (
                DemoTarget(
                    "Personnes aidées pour leur mobilité",
                    150,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 58), (date(2023, 12, 31), 131)),
                ),
            ),
            gap="mobilite",
        ),
        DemoAction(
            Axis.BARRIERS,
            "Garde d'enfants pour les parents en reprise d'emploi",
            "Des places de crèche et d'accueil en horaires décalés réservées aux parents qui reprennent un "
            "emploi ou une formation, le temps de trouver une solution durable.",
            "ccas-creteil",
            ("creteil", "asso-femmes", "ft"),
            ("QN09405M", "QN09406I"),
            (Public.ADULT,),
            date(2022, 6, 1),
            date(2023, 12, 31),
            8,
            ("cite", "creteil"),
            (
                ("Places réservées dans deux crèches", date(2022, 9, 1)),
                ("Accueil en horaires décalés", date(2023, 3, 1)),
            ),
            (
                DemoTarget(
                    "Parents ayant repris un emploi grâce à une place de garde",
                    40,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 6), (date(2023, 12, 31), 23)),
                ),
            ),
            gap="famille",
            past_rate=0.62,
        ),
        DemoAction(
            Axis.BARRIERS,
            "Inclusion numérique des demandeurs d'emploi",
            "Ateliers numériques (messagerie, espace France Travail, candidatures en ligne) et prêt "
            "d'ordinateurs reconditionnés pendant la recherche d'emploi.",
            "asso-numerique",
            ("ft-alfortville", "ccas-alfortville", "ville-alfortville"),
            ("QN09404M",),
            ALL_PUBLICS,
            date(2022, 2, 1),
            date(2023, 12, 31),
            7,
            ("cite", "alfortville"),
            (("Ouverture de l'atelier numérique de Chantereine", date(2022, 3, 1)),),
            (
                DemoTarget(
                    "Personnes formées aux démarches en ligne",
                    250,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 118), (date(2023, 12, 31), 262)),
                ),
            ),
            gap="numerique",
        ),
        DemoAction(
            Axis.OUTREACH,
            "Aller-vers les jeunes « invisibles » avec des médiateurs de rue",
            "Des médiateurs vont à la rencontre des jeunes qui ne sont suivis nulle part, au pied des "
            "immeubles et lors des événements sportifs, et les amènent jusqu'à un premier rendez-vous.",
            "ml",
            ("ml-haut", "asso-mesly", "asso-bois", "bailleur", "e2c", "epide"),
            ("QN09405M", "QN09424I", "QN09431M"),
            (Public.YOUNG,),
            date(2022, 4, 1),
            date(2023, 12, 31),
            8,
            ("cite", "etat"),
            (
                ("Recrutement de deux médiateurs", date(2022, 4, 30)),
                ("Tournées du soir et du week-end", date(2022, 6, 15)),
            ),
            (
                DemoTarget(
                    "Jeunes entrés en accompagnement après un contact en aller-vers",
                    120,
                    unit="personnes",
                    readings=((date(2022, 12, 31), 47), (date(2023, 12, 31), 118)),
                ),
            ),
        ),
        DemoAction(
            Axis.FEDERATE,
            "Animation du réseau des partenaires et charte de coopération",
            "Réunions du réseau, formation commune des professionnels et charte de coopération de la Cité "
            "de l'emploi : qui fait quoi, comment on s'oriente les personnes, dans quels délais.",
            "cite",
            ("ft", "ml", "cap", "plie", "mde", "creteil", "chennevieres"),
            (),
            ALL_PUBLICS,
            date(2022, 1, 3),
            date(2023, 12, 31),
            3,
            ("cite", "ept"),
            (
                ("Charte de coopération signée", date(2022, 6, 21)),
                ("Séminaire annuel des partenaires", date(2023, 10, 12)),
            ),
            (
                DemoTarget(
                    "Partenaires signataires de la charte de coopération",
                    25,
                    unit="structures",
                    readings=((date(2022, 6, 30), 18), (date(2023, 12, 31), 31)),
                ),
            ),
        ),
        DemoAction(
            Axis.FEDERATE,
            "Outil commun de suivi des parcours",
            "Choix et mise en service d'un outil partagé de suivi des parcours entre les structures, avec "
            "le consentement des personnes, pour ne plus se transmettre les situations par courriel.",
            "cite",
            ("mde", "ft", "ml"),
            (),
            ALL_PUBLICS,
            date(2022, 1, 3),
            date(2022, 12, 31),
            2,
            ("cite",),
            (
                ("Cahier des charges validé en COTECH", date(2022, 3, 15)),
                ("Mise en service", date(2022, 10, 3)),
            ),
            (
                DemoTarget(
                    "Structures utilisant l'outil commun",
                    15,
                    unit="structures",
                    readings=((date(2022, 12, 31), 17),),
                ),
            ),
        ),
    ),
)

PLAN_2024 = DemoPlan(
    "Plan d'actions 2024-2026",
    date(2024, 1, 1),
    date(2026, 12, 31),
    date(2023, 12, 12),
    True,
    (
        DemoAction(
            Axis.RECRUITMENT,
            "Job datings et forums de l'emploi dans les quartiers",
            "Les job datings du premier plan continuent, rejoints par les employeurs de la santé et des "
            "services ; un forum annuel de l'emploi réunit tous les partenaires.",
            "ft",
            ("ml", "cap", "plie", "creteil", "ville-bonneuil", "employer-hopital"),
            ("QN09405M", "QN09420M", "QN09404M", "QN09406I"),
            ALL_PUBLICS,
            date(2024, 1, 15),
            date(2026, 12, 31),
            18,
            ("etat", "creteil", "alfortville"),
            (
                ("Calendrier annuel des opérations", date(2024, 1, 31)),
                ("Forum de l'emploi 2025", date(2025, 10, 9)),
                ("Forum de l'emploi 2026", date(2026, 10, 8)),
            ),
            (
                DemoTarget("Opérations de recrutement réalisées", 12, indicator="operations_recrutement"),
                DemoTarget("Recrutements à l'issue des opérations", 40, indicator="recrutements_operations"),
            ),
        ),
        DemoAction(
            Axis.INNOVATE,
            "Recrutement par simulation et visites d'entreprises",
            "Des sessions de recrutement par simulation avec les employeurs qui peinent à recruter, "
            "précédées de visites d'entreprises pour les personnes qui ne connaissent pas le métier.",
            "ft-boissy",
            ("plie", "employer", "employer-grande-surface", "ai-services"),
            ("QN09403M", "QN09438N"),
            (Public.ADULT, Public.SENIOR),
            date(2024, 3, 1),
            date(2026, 12, 31),
            10,
            ("ept",),
            (
                ("Trois employeurs engagés", date(2024, 4, 30)),
                ("Visites d'entreprises au second semestre", date(2026, 9, 30)),
            ),
            (
                DemoTarget(
                    "Candidats évalués par simulation",
                    250,
                    unit="personnes",
                    readings=((date(2024, 12, 31), 72), (date(2025, 12, 31), 138), (date(2026, 9, 30), 161)),
                ),
            ),
            slow=True,
        ),
        DemoAction(
            Axis.PRESENCE,
            "Permanences du service public de l'emploi dans les neuf quartiers",
            "Une permanence hebdomadaire dans chacun des neuf quartiers de la géographie 2024, dont les "
            "deux nouveaux (Grand Ensemble à Alfortville, Fosse Rouge - Cité Verte à Sucy-en-Brie).",
            "ft",
            (
                "ml",
                "cap",
                "asso-mesly",
                "asso-bois",
                "asso-chantereine",
                "asso-fabien",
                "asso-haie",
                "asso-bleuets",
                "asso-fosse",
            ),
            ALL_QPVS,
            ALL_PUBLICS,
            date(2024, 1, 1),
            date(2026, 12, 31),
            20,
            ("etat", "ept"),
            (
                ("Permanences ouvertes au Grand Ensemble et à Fosse Rouge", date(2024, 3, 31)),
                ("Bilan de fréquentation par quartier", date(2025, 6, 30)),
            ),
            (
                DemoTarget(
                    "Personnes rencontrées dans les quartiers", 9000, indicator="personnes_rencontrees"
                ),
                DemoTarget(
                    "Permanences et actions réalisées aux Bleuets",
                    70,
                    indicator="actions_aller_vers",
                    where=("qpv", "QN09406I"),
                ),
            ),
        ),
        DemoAction(
            Axis.OUTREACH,
            "Aller-vers au Bois l'Abbé avec l'association de quartier",
            "Porte-à-porte avec le bailleur, stands sur le marché et rendez-vous proposés dans la semaine à "
            "chaque personne rencontrée, avec l'association Bois l'Abbé Solidaire.",
            "chennevieres",
            ("asso-bois", "ml", "ft-boissy", "bailleur"),
            ("QN09424I",),
            ALL_PUBLICS,
            date(2024, 2, 1),
            date(2026, 12, 31),
            10,
            ("ept", "etat"),
            (
                ("Convention avec le bailleur pour le porte-à-porte", date(2024, 3, 15)),
                ("Rendez-vous sous huit jours généralisé", date(2025, 1, 31)),
            ),
            (
                DemoTarget(
                    "Personnes rencontrées au Bois l'Abbé",
                    600,
                    indicator="personnes_rencontrees",
                    where=("qpv", "QN09424I"),
                ),
                DemoTarget(
                    "Accompagnements commencés après l'aller-vers au Bois l'Abbé",
                    35,
                    indicator="accompagnements_aller_vers",
                    where=("qpv", "QN09424I"),
                ),
            ),
        ),
        DemoAction(
            Axis.CV,
            "Valorisation des CV auprès des employeurs de la zone d'activités",
            "La CVthèque anonymisée de la plateforme et une présentation mensuelle de profils aux "
            "employeurs partenaires, suivie jusqu'à l'embauche.",
            "cite",
            ("ft", "ml", "plie", "cap", "mde"),
            (),
            ALL_PUBLICS,
            date(2024, 1, 1),
            date(2026, 12, 31),
            8,
            ("etat",),
            (
                ("CVthèque ouverte aux employeurs partenaires", date(2024, 6, 30)),
                ("Présentations mensuelles de profils", date(2024, 9, 30)),
            ),
            (
                DemoTarget(
                    "Profils présentés aux employeurs partenaires",
                    450,
                    unit="profils",
                    readings=((date(2024, 12, 31), 96), (date(2025, 12, 31), 251), (date(2026, 10, 31), 338)),
                ),
            ),
        ),
        DemoAction(
            Axis.BARRIERS,
            "Mobilité : permis solidaire et location de véhicules",
            "Aide au permis, location solidaire et covoiturage vers les zones d'activités que les "
            "transports en commun desservent mal.",
            "asso-mobilite",
            ("ft", "ml", "plie", "ccas-bonneuil", "ville-limeil"),
            ("QN09405M", "QN09403M", "QN09431M"),
            (Public.YOUNG, Public.ADULT),
            date(2024, 1, 1),
            date(2026, 12, 31),
            14,
            ("departement", "ept"),
            (
                ("Flotte de location renouvelée", date(2024, 4, 30)),
                ("Covoiturage vers la zone d'activités", date(2025, 9, 30)),
            ),
            (
                DemoTarget(
                    "Freins levés chez les personnes suivies du Mont-Mesly",
                    300,
                    indicator="freins_leves",
                    where=("qpv", "QN09405M"),
                ),
            ),
            gap="mobilite",
        ),
        DemoAction(
            Axis.BARRIERS,
            "Garde d'enfants en horaires décalés",
            "Des places d'accueil du petit matin et du soir pour les parents qui travaillent dans la "
            "logistique, le nettoyage ou le soin.",
            "ccas-creteil",
            ("creteil", "asso-femmes", "ft"),
            ("QN09405M", "QN09406I"),
            (Public.ADULT,),
            date(2024, 9, 1),
            date(2026, 12, 31),
            10,
            ("creteil", "departement"),
            (
                ("Appel à partenaires auprès des crèches", date(2024, 11, 30)),
                ("Vingt places en horaires décalés ouvertes", date(2026, 6, 30)),
            ),
            (
                DemoTarget(
                    "Places de garde en horaires décalés mobilisées",
                    30,
                    unit="places",
                    readings=((date(2025, 6, 30), 6), (date(2026, 6, 30), 11)),
                ),
            ),
            gap="famille",
            slow=True,
        ),
        DemoAction(
            Axis.BARRIERS,
            "Accès aux soins à Fosse Rouge et à Saint-Martin",
            "Bilans de santé, ouverture des droits et rendez-vous chez un médecin traitant pour les personnes "
            "suivies, là où le diagnostic ne trouve aucun service de santé accessible.",
            "ville-sucy",
            ("mds-creteil", "asso-fosse", "ville-limeil"),
            ("QN09438N", "QN09431M"),
            (Public.ADULT, Public.SENIOR),
            date(2025, 1, 6),
            date(2026, 12, 31),
            6,
            ("departement", "etat"),
            (("Permanence santé ouverte à Fosse Rouge", date(2025, 3, 31)),),
            (
                DemoTarget(
                    "Bilans de santé réalisés",
                    80,
                    unit="bilans",
                    readings=((date(2025, 12, 31), 34), (date(2026, 10, 31), 61)),
                ),
            ),
            gap="sante",
        ),
        DemoAction(
            Axis.FEDERATE,
            "Coordination des parcours et instances de suivi partagé",
            "Les instances de coordination de la plateforme remplacent les échanges de courriels : "
            "orientations suivies jusqu'à la réponse, cas complexes étudiés ensemble chaque mois.",
            "cite",
            ("ft", "ml", "cap", "plie", "mds-creteil", "ccas-creteil"),
            (),
            ALL_PUBLICS,
            date(2024, 1, 1),
            date(2025, 12, 31),
            6,
            ("ept",),
            (
                ("Instances mensuelles de coordination", date(2024, 3, 31)),
                ("Délai de réponse aux orientations suivi au tableau de bord", date(2025, 6, 30)),
            ),
            (
                DemoTarget("Orientations entre structures", 500, indicator="orientations"),
                DemoTarget(
                    "Personnes suivies habitant Créteil",
                    450,
                    indicator="beneficiaires_suivis",
                    where=("commune", "94028"),
                ),
            ),
        ),
    ),
)

# --- governance -------------------------------------------------------------------------------------

COPIL_NAME = "Comité de pilotage de la Cité de l'emploi GPSEA"
COPIL_CHAIRS = "le préfet du Val-de-Marne et le président de GPSEA"
COPIL_ROLE = (
    "Pilotage global de la Cité de l'emploi avec les maires des communes concernées : adopte le plan "
    "d'actions et ses révisions, suit l'avancement, les financements et les indicateurs, arbitre les "
    "réaffectations de crédits."
)
# The mayors sit through their communes' services; the State and the operators with them.
COPIL_MEMBERS = (
    "prefecture", "cite", "creteil", "chennevieres", "ville-alfortville", "ville-bonneuil",
    "ville-limeil", "ville-boissy", "ville-sucy", "ft", "ml", "cap", "plie",
)  # fmt: skip
COTECH_NAME = "Comité technique des opérateurs de la Cité de l'emploi GPSEA"
COTECH_CHAIRS = "la cheffe de projet de la Cité de l'emploi"
COTECH_ROLE = (
    "Mise en œuvre du plan d'actions par les opérateurs : calendrier des opérations, difficultés "
    "rencontrées sur le terrain, préparation des comités de pilotage."
)
COTECH_MEMBERS = (
    "cite", "ft", "ft-boissy", "ft-alfortville", "ml", "ml-haut", "cap", "plie", "mde",
    "asso-mesly", "asso-bois", "asso-mobilite", "ccas-creteil", "creteil", "chennevieres",
)  # fmt: skip

COPIL_ATTENDEES = """\
Le préfet du Val-de-Marne, représenté par la sous-préfète chargée de la politique de la ville (coprésidence)
Le président de GPSEA, représenté par le vice-président délégué à l'emploi et à l'insertion (coprésidence)
Les maires de Créteil, Alfortville, Bonneuil-sur-Marne, Limeil-Brévannes, Boissy-Saint-Léger, Chennevières-sur-Marne et Sucy-en-Brie, ou leurs adjoints chargés de l'emploi
Fabrice Délégué, délégué du préfet pour les quartiers prioritaires
La directrice territoriale de France Travail Val-de-Marne
Le directeur de la Mission locale Plaine centrale
La directrice de Cap emploi Val-de-Marne
Le coordinateur du PLIE Plaine centrale
Camille Coordination, cheffe de projet de la Cité de l'emploi (secrétariat du comité)"""

COTECH_ATTENDEES = """\
Camille Coordination, cheffe de projet de la Cité de l'emploi (animation)
Nadia Parcours et Farid Conseiller, France Travail Créteil
Sophie Orientation, France Travail Boissy-Saint-Léger
Maëlle Conseillère et Thomas Jeunesse, Mission locale Plaine centrale
Hélène Handiemploi, Cap emploi Val-de-Marne
Rachid Insertion, PLIE Plaine centrale
Céline Proximité, Ville de Créteil — service emploi
Marc Quartier, Ville de Chennevières-sur-Marne
Léa Mobilité, Association Mobilité Sud-Est
Fatou Médiation, Association Les Passerelles du Mont-Mesly"""

COPIL_PLACES = ("Préfecture du Val-de-Marne, Créteil", "Siège de Grand Paris Sud Est Avenir, Créteil")
COTECH_PLACES = (
    "Maison de l'emploi Plaine centrale, Créteil",
    "Mission locale Plaine centrale, Créteil",
    "Mairie de Chennevières-sur-Marne",
    "Espace emploi d'Alfortville",
    "Visioconférence",
)

# (text, axis of the action it is about or None, owner organisation, owner's role)
DECISIONS = (
    (
        "Organiser le prochain job dating dans un quartier qui n'en a pas encore accueilli.",
        Axis.RECRUITMENT,
        "ft",
        "Directrice de l'agence France Travail Créteil",
    ),
    (
        "Présenter au prochain comité le bilan des recrutements par simulation.",
        Axis.INNOVATE,
        "ft-boissy",
        "Directeur de l'agence France Travail Boissy-Saint-Léger",
    ),
    (
        "Communiquer aux bailleurs et aux associations les horaires des permanences de chaque quartier.",
        Axis.PRESENCE,
        "creteil",
        "Responsable du service emploi de la Ville de Créteil",
    ),
    (
        "Proposer un rendez-vous sous huit jours à chaque personne rencontrée en aller-vers.",
        Axis.OUTREACH,
        "ml",
        "Directeur de la Mission locale Plaine centrale",
    ),
    (
        "Présenter chaque mois une sélection de profils aux employeurs de la zone d'activités.",
        Axis.CV,
        "cite",
        "Cheffe de projet de la Cité de l'emploi",
    ),
    (
        "Lancer l'appel à partenaires pour la location solidaire de véhicules.",
        Axis.BARRIERS,
        "asso-mobilite",
        "Directrice de l'Association Mobilité Sud-Est",
    ),
    (
        "Négocier avec les crèches des places réservées aux parents en reprise d'emploi.",
        Axis.BARRIERS,
        "ccas-creteil",
        "Directeur du CCAS de Créteil",
    ),
    (
        "Réunir les partenaires pour le bilan de la charte de coopération.",
        Axis.FEDERATE,
        "cite",
        "Cheffe de projet de la Cité de l'emploi",
    ),
    (
        "Transmettre à l'ANCT le rapport trimestriel d'activité.",
        None,
        "cite",
        "Cheffe de projet de la Cité de l'emploi",
    ),
    (
        "Proposer la réaffectation des crédits que l'action ne consommera pas cette année.",
        "slow",
        "cite",
        "Cheffe de projet de la Cité de l'emploi",
    ),
    (
        "Ajouter au tableau de bord le délai de réponse aux orientations entre structures.",
        Axis.FEDERATE,
        "cite",
        "Cheffe de projet de la Cité de l'emploi",
    ),
    (
        "Étendre les tournées d'aller-vers aux soirées et aux week-ends.",
        Axis.OUTREACH,
        "ml",
        "Directeur de la Mission locale Plaine centrale",
    ),
)
CANCELLED_NOTE = "Remplacée par une autre solution décidée en comité."
DONE_NOTE = "Fait, présenté au comité suivant."

# (label, supplier or payee) of the expenses, by axis: fictitious suppliers, marked « démo ».
EXPENSES = {
    Axis.RECRUITMENT: (
        ("Location de salle pour un job dating", "Salle des fêtes municipale — régie (démo)"),
        ("Collation des candidats et des recruteurs", "Traiteur du Mont-Mesly (démo)"),
        ("Impression des affiches et des invitations", "Imprimerie des Coteaux (démo)"),
        ("Transport des candidats vers les entreprises", "Transports Marne et Seine (démo)"),
    ),
    Axis.INNOVATE: (
        ("Ingénierie des exercices de recrutement par simulation", "Cabinet Habiletés & Métiers (démo)"),
        ("Visites d'entreprises : location d'un car", "Transports Marne et Seine (démo)"),
        ("Équipements de protection pour les mises en situation", "Fournitures Pro Sud-Est (démo)"),
    ),
    Axis.PRESENCE: (
        ("Mise à disposition d'un local de permanence", "Bailleur social Val-de-Marne Habitat (démo)"),
        ("Tablettes et connexion mobile des permanences", "Réseaux et Terminaux 94 (démo)"),
        ("Location et entretien du bus de l'emploi", "Véhicules Aménagés de l'Est (démo)"),
        ("Heures de médiation dans les quartiers", "Association Les Passerelles du Mont-Mesly (démo)"),
    ),
    Axis.OUTREACH: (
        ("Prestation de médiation de rue", "Médiation Sociale Plaine centrale (démo)"),
        ("Stand sur le marché : matériel et signalétique", "Imprimerie des Coteaux (démo)"),
        ("Porte-à-porte avec le bailleur : heures de médiation", "Association Bois l'Abbé Solidaire (démo)"),
    ),
    Axis.CV: (
        ("Ateliers CV et photographie professionnelle", "Atelier Portrait Solidaire (démo)"),
        ("Tenues prêtées pour les entretiens", "Vestiaire solidaire pour l'entretien (démo)"),
        ("Séances de simulation d'entretien", "Cabinet Habiletés & Métiers (démo)"),
        ("Petit-déjeuner des employeurs partenaires", "Traiteur du Mont-Mesly (démo)"),
    ),
    Axis.BARRIERS: (
        ("Heures de conduite financées", "Auto-école solidaire Sud-Est (démo)"),
        ("Location solidaire de scooters et de voitures", "Association Mobilité Sud-Est (démo)"),
        ("Places d'accueil en horaires décalés", "Crèche Les Petits Pas (démo)"),
        ("Ordinateurs portables reconditionnés", "Reconditionnement Informatique 94 (démo)"),
        ("Ateliers d'inclusion numérique", "Association Clic Solidaire (démo)"),
        ("Bilans de santé : vacations de médecins", "Centre de santé des Coteaux (démo)"),
    ),
    Axis.FEDERATE: (
        ("Séminaire des partenaires : location de salle et repas", "Traiteur du Mont-Mesly (démo)"),
        ("Formation commune des professionnels", "Organisme de formation Compétences 94 (démo)"),
        ("Hébergement de l'outil de coordination", "Hébergement Numérique Public (démo)"),
        ("Étude d'évaluation à mi-parcours", "Cabinet Évaluation & Territoires (démo)"),
    ),
}
# Only the suppliers of these labels fit a barrier action about this need.
BARRIER_EXPENSES = {
    "mobilite": (0, 1),
    "famille": (2,),
    "numerique": (3, 4),
    "sante": (5,),
}


# --- generation -----------------------------------------------------------------------------------


@dataclass
class Line:
    """A budget line being written, with the expenses drawn for it."""

    action: Action
    spec: DemoAction
    funding: str
    year: int
    amount: Decimal
    expenses: list[tuple[date, Decimal, str, str]] = field(default_factory=list)


@dataclass
class Story:
    territory: object
    orgs: dict[str, Organisation]
    today: date
    rng: random.Random
    by: User
    fundings: dict[str, Funding] = field(default_factory=dict)
    plans: list[tuple[DemoPlan, ActionPlan, list[Action]]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


def load_steering_demo(territory, orgs: dict[str, Organisation], today: date | None = None) -> dict[str, int]:
    """Write the demo's plans, money, targets and committees once; the rows written by kind.

    ``today`` (default: today) sets the statuses, readings and expenses; it cannot be after the real
    date, which the services check (nothing recorded in the future).
    """
    if ActionPlan.objects.filter(territory=territory, is_demo=True).exists():
        return {}
    story = Story(
        territory,
        {**orgs, **_extra_organisations(territory)},
        today or timezone.localdate(),
        random.Random(SEED),
        User.objects.get(email=COORDINATOR),
    )
    version = ReportVersion.objects.filter(territory=territory).order_by("-number").first()
    gaps = (version.snapshot or {}).get("gaps", []) if version else []
    _fundings(story)
    for spec in (PLAN_2022, PLAN_2024):
        _plan(story, spec, version, gaps)
    _money(story)
    _adopt(story)
    _committees(story)
    return story.counts


def _extra_organisations(territory) -> dict[str, Organisation]:
    names = {row[1]: row[0] for row in EXTRA_ORGANISATIONS}
    return {names[o.name]: o for o in Organisation.objects.filter(territory=territory, name__in=names)}


def _status(starts_on: date, ends_on: date, today: date) -> str:
    if ends_on < today:
        return Action.Status.DONE
    return Action.Status.RUNNING if starts_on <= today else Action.Status.PLANNED


def _gap(spec: DemoAction, gaps: list[dict]) -> tuple[str, str]:
    """The first ranked gap of the action's category, in one of its quartiers when there is one."""
    if not spec.gap:
        return "", ""
    found = [g for g in gaps if g["category"] == spec.gap]
    mine = [g for g in found if g["qpv_code"] in spec.qpvs] or found
    return (mine[0]["qpv_code"], mine[0]["category"]) if mine else ("", "")


def _fundings(story: Story) -> None:
    for spec in FUNDINGS:
        story.fundings[spec.key] = services_money.create_funding(
            story.territory,
            by=story.by,
            years=spec.years,
            title=spec.title,
            kind=spec.kind,
            funder=spec.funder,
            funder_organisation=story.orgs.get(spec.organisation) if spec.organisation else None,
            reference=spec.reference,
            notes=spec.notes,
        )
        story.count("financements")
        story.count("annuités de financement", len(spec.years))
    Funding.objects.filter(pk__in=[f.pk for f in story.fundings.values()]).update(is_demo=True)


def _plan(story: Story, spec: DemoPlan, version, gaps: list[dict]) -> None:
    """The plan as a draft with its actions, their steps and targets; adopted once its money is in."""
    plan = services_plan.create_plan(
        story.territory,
        by=story.by,
        title=spec.title,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        diagnostic=version,
    )
    story.count("plans d'actions")
    qpvs = {q.code: q for q in QPV.objects.filter(code__in=ALL_QPVS, geography_year=2024)}
    actions = []
    for number, item in enumerate(spec.actions, start=1):
        gap_qpv, gap_category = _gap(item, gaps)
        action = services_plan.create_action(
            plan,
            by=story.by,
            number=number,
            title=item.title,
            axis=item.axis,
            description=item.description,
            lead_organisation=story.orgs[item.lead],
            partners=[story.orgs[key] for key in item.partners],
            qpvs=[qpvs[code] for code in item.qpvs],
            publics=list(item.publics),
            starts_on=item.starts_on,
            ends_on=item.ends_on,
            status=_status(item.starts_on, item.ends_on, story.today),
            gap_qpv=gap_qpv,
            gap_category=gap_category,
        )
        _milestones(story, action, item)
        _targets(story, action, item)
        actions.append(action)
        story.count("actions")
    story.plans.append((spec, plan, actions))


def _adopt(story: Story) -> None:
    """Each plan adopted on its date, the ended ones closed; then flagged as demo records."""
    for spec, plan, actions in story.plans:
        services_plan.adopt_plan(plan, by=story.by, adopted_on=spec.adopted_on)
        if spec.closed_after and spec.ends_on < story.today:
            services_plan.close_plan(plan, by=story.by)
        ActionPlan.objects.filter(pk=plan.pk).update(is_demo=True)
        Action.objects.filter(pk__in=[a.pk for a in actions]).update(is_demo=True)


def _milestones(story: Story, action: Action, spec: DemoAction) -> None:
    past = [due for _, due in spec.milestones if due <= story.today]
    for title, due in spec.milestones:
        milestone = services_plan.create_milestone(action, by=story.by, title=title, due_on=due)
        story.count("étapes")
        # A slow action is late on its latest step; the others did theirs within two weeks.
        late = spec.slow and past and due == past[-1]
        if due <= story.today and not late:
            done_on = min(due + timedelta(days=story.rng.randint(0, 14)), story.today)
            services_plan.mark_milestone_done(milestone, by=story.by, done_on=done_on)


def _targets(story: Story, action: Action, spec: DemoAction) -> None:
    for item in spec.targets:
        level, code = item.where or ("", "")
        target = services_targets.create_target(
            action,
            by=story.by,
            label=item.label,
            target=item.target,
            indicator=item.indicator,
            where_level=level,
            where_code=code,
            unit=item.unit,
            starts_on=item.starts_on or spec.starts_on,
            ends_on=item.ends_on or spec.ends_on,
        )
        story.count("objectifs")
        for measured_on, value in item.readings:
            if measured_on <= story.today:
                services_targets.record_reading(target, by=story.by, measured_on=measured_on, value=value)
                story.count("relevés")


# --- money ----------------------------------------------------------------------------------------


def _months(spec: DemoAction, year: int) -> int:
    """Months (started) of ``year`` the action runs."""
    first = max(spec.starts_on, date(year, 1, 1))
    last = min(spec.ends_on, date(year, 12, 31))
    return 0 if first > last else last.month - first.month + 1


def _money(story: Story) -> None:
    """Each (funding, year) spread over the actions it funds, then the expenses of each line."""
    for plan_spec, _, actions in story.plans:
        for funding in FUNDINGS:
            for year, granted in funding.years.items():
                if not plan_spec.starts_on.year <= year <= plan_spec.ends_on.year:
                    continue
                funded = [
                    (spec, action, spec.weight * _months(spec, year))
                    for spec, action in zip(plan_spec.actions, actions, strict=True)
                    if funding.key in spec.funders and _months(spec, year)
                ]
                for (spec, action, _), amount in zip(
                    funded, _spread(granted, [w for *_, w in funded]), strict=True
                ):
                    story.lines.append(Line(action, spec, funding.key, year, amount))
    for line in story.lines:
        _expenses(story, line)
        funding = story.fundings[line.funding]
        services_money.set_budget_line(
            line.action, by=story.by, funding=funding, year=line.year, amount=line.amount
        )
        story.count("lignes budgétaires")
        for spent_on, amount, label, supplier in line.expenses:
            services_money.create_expense(
                line.action,
                by=story.by,
                funding=funding,
                spent_on=spent_on,
                amount=amount,
                label=label,
                supplier=supplier,
            )
            story.count("dépenses")


def _spread(granted: int, weights: list[int]) -> list[Decimal]:
    """``granted`` shared by weight in hundreds of euros, the rounding left to the largest share: the
    shares add up to ``granted`` exactly."""
    if not weights:
        return []
    total = sum(weights)
    shares = [(Decimal(granted) * w / total / 100).to_integral_value(ROUND_DOWN) * 100 for w in weights]
    shares[weights.index(max(weights))] += Decimal(granted) - sum(shares)
    return shares


def _expenses(story: Story, line: Line) -> None:
    """What the line has spent at ``today``: past years in full (90 to 100 % in a closed plan, 75 to 85 %
    for a slow action, or the action's own rate), this year as much as the elapsed time calls for (a
    third for a slow action), nothing ahead."""
    rng, today, spec = story.rng, story.today, line.spec
    first = max(spec.starts_on, date(line.year, 1, 1))
    last = min(spec.ends_on, date(line.year, 12, 31))
    if first >= today:
        return
    if last < today:
        # A closed plan kept a little of its credits here and there; the plan in force spent its past
        # years in full, but for its slow actions, so that its alerts say something true.
        if spec.past_rate or spec.slow:
            rate = spec.past_rate or rng.uniform(0.75, 0.85)
        else:
            rate = rng.uniform(0.9, 1.0) if line.action.plan.ends_on < today else 1.0
    else:
        elapsed = (today - first).days / ((last - first).days + 1)
        rate = elapsed * (0.3 if spec.slow else rng.uniform(0.92, 1.02))
    spent = (line.amount * Decimal(str(min(rate, 1.0)))).quantize(CENT)
    if spent <= 0:
        return
    count = max(1, min(6, int(spent // 4000) + 1))
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    amounts = [(spent * Decimal(str(w / sum(weights)))).quantize(CENT) for w in weights]
    amounts[-1] = spent - sum(amounts[:-1])
    end = min(last, today - timedelta(days=1))
    days = sorted(first + timedelta(days=rng.randint(0, (end - first).days)) for _ in range(count))
    choices = EXPENSES[spec.axis]
    if spec.axis == Axis.BARRIERS and spec.gap in BARRIER_EXPENSES:
        choices = [choices[i] for i in BARRIER_EXPENSES[spec.gap]]
    for day, amount in zip(days, amounts, strict=True):
        if amount > 0:
            label, supplier = rng.choice(choices)
            line.expenses.append((day, amount, label, supplier))


# --- committees -----------------------------------------------------------------------------------


def _on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def copil_dates() -> list[date]:
    """The installation in December 2021, then a COPIL in June and in December of each year."""
    days = [date(2021, 12, 14)]
    for year in range(2022, 2027):
        days += [_on_or_after(date(year, 6, 14), 1), _on_or_after(date(year, 12, 8), 1)]
    return days


def cotech_dates() -> list[date]:
    """A COTECH every quarter, a few weeks before each COPIL and in between."""
    return [_on_or_after(date(year, month, 8), 3) for year in range(2022, 2027) for month in (3, 5, 9, 11)]


def _committees(story: Story) -> None:
    copil = _committee(story, Committee.Kind.COPIL, COPIL_NAME, COPIL_CHAIRS, COPIL_ROLE, COPIL_MEMBERS)
    cotech = _committee(story, Committee.Kind.COTECH, COTECH_NAME, COTECH_CHAIRS, COTECH_ROLE, COTECH_MEMBERS)
    for committee, days in ((copil, copil_dates()), (cotech, cotech_dates())):
        past = [day for day in days if day < story.today]
        upcoming = [day for day in days if day >= story.today][:1]
        for index, day in enumerate(past):
            # The last two meetings still have open decisions: due soon for the last, overdue before it.
            _meeting(story, committee, day, index, recent=len(past) - index)
        for day in upcoming:
            _meeting(story, committee, day, len(past), recent=0)


def _committee(story: Story, kind: str, name: str, chairs: str, role: str, members) -> Committee:
    committee = services_committees.create_committee(
        story.territory,
        by=story.by,
        members=[story.orgs[key] for key in members],
        kind=kind,
        name=name,
        chairs=chairs,
        description=role,
    )
    Committee.objects.filter(pk=committee.pk).update(is_demo=True)
    story.count("comités")
    return committee


def _plan_at(story: Story, day: date) -> tuple[DemoPlan, ActionPlan, list[Action]]:
    """The plan a meeting of ``day`` talks about: the one running then (the next one in its last weeks)."""
    for found in story.plans:
        if day <= found[0].ends_on - timedelta(days=45):
            return found
    return story.plans[-1]


def _meeting(story: Story, committee: Committee, day: date, index: int, recent: int) -> None:
    """One meeting; ``recent`` is 1 for the latest one held, 2 for the one before, 0 for one ahead."""
    spec, _, actions = _plan_at(story, day)
    is_copil = committee.kind == Committee.Kind.COPIL
    meeting = services_committees.create_meeting(
        committee,
        by=story.by,
        held_on=day,
        place=(COPIL_PLACES if is_copil else COTECH_PLACES)[index % (2 if is_copil else 5)],
        attendees="" if not recent else (COPIL_ATTENDEES if is_copil else COTECH_ATTENDEES),
        agenda=_agenda(committee, day, index, spec),
        minutes="" if not recent else _minutes(story, committee, day, spec, actions),
    )
    story.count("réunions")
    if not recent:
        return
    for number, (text, axis, owner, role) in enumerate(story.rng.sample(DECISIONS, 3 if is_copil else 2)):
        action = _decision_action(story, spec, actions, axis, day)
        _decision(story, meeting, text, action, owner, role, recent, number)


def _agenda(committee: Committee, day: date, index: int, spec: DemoPlan) -> str:
    if committee.kind == Committee.Kind.COTECH:
        return (
            "1. Retour des opérateurs sur les actions en cours\n"
            "2. Calendrier des opérations du trimestre\n"
            "3. Difficultés rencontrées et besoins\n"
            "4. Préparation du prochain comité de pilotage"
        )
    if index == 0:
        return (
            "1. Installation du comité de pilotage\n"
            "2. Restitution du diagnostic territorial partagé\n"
            f"3. Adoption du « {spec.title} » et de son budget\n"
            "4. Calendrier des instances"
        )
    if day.month == 6:
        return (
            "1. Avancement des actions du plan\n"
            f"2. Consommation des crédits {day.year} à mi-année\n"
            "3. Indicateurs et objectifs\n"
            "4. Suivi des décisions"
        )
    closing = [p for p in (PLAN_2022, PLAN_2024) if p.ends_on.year == day.year]
    items = [f"Bilan de l'année {day.year}", f"Budget {day.year + 1} : répartition des financements"]
    if closing:
        items = [f"Bilan du « {closing[0].title} »"]
        following = [p for p in (PLAN_2022, PLAN_2024) if p.starts_on.year == day.year + 1]
        if following:
            items.append(f"Adoption du « {following[0].title} » et de son budget")
    items += ["Indicateurs et objectifs", "Suivi des décisions"]
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def _minutes(story: Story, committee: Committee, day: date, spec: DemoPlan, actions: list[Action]) -> str:
    running = [a for a in spec.actions if a.starts_on <= day <= a.ends_on]
    done = [a for a in spec.actions if a.ends_on < day]
    lines = [line for line in story.lines if line.action in actions and line.year == day.year]
    planned = sum((line.amount for line in lines), Decimal(0))
    spent = sum((e[1] for line in lines for e in line.expenses if e[0] <= day), Decimal(0))
    if committee.kind == Committee.Kind.COTECH:
        slow = [a.title for a in running if a.slow]
        return (
            "[Texte fictif de démonstration] Les opérateurs ont présenté l'avancement des "
            f"{len(running)} actions en cours du « {spec.title} » et le calendrier des opérations du trimestre. "
            + (
                f"L'action « {slow[day.month % len(slow)]} » prend du retard : les partenaires proposent des solutions au prochain comité. "
                if slow
                else "Aucune action ne signale de difficulté particulière. "
            )
            + "Les relevés des objectifs suivis à la main seront transmis à la coordination avant le comité de pilotage."
        )
    if not running and not done:
        return (
            "[Texte fictif de démonstration] Le comité est installé sous la coprésidence du préfet du "
            "Val-de-Marne et du président de GPSEA, avec les maires des communes concernées. Le diagnostic "
            f"territorial partagé est présenté ; le « {spec.title} » est adopté avec son budget."
        )
    money = (
        f"Sur {day.year}, {format_euros(spent, cents=False)} ont été dépensés sur "
        f"{format_euros(planned, cents=False)} prévus "
        f"({round(100 * spent / planned) if planned else 0}\u00a0%)."
    )
    return (
        f"[Texte fictif de démonstration] Le comité a fait le point sur le « {spec.title} » : "
        f"{_count(len(running), 'action en cours', 'actions en cours')}, "
        f"{_count(len(done), 'terminée', 'terminées')}. {money} Les maires ont souligné les "
        "résultats de l'aller-vers dans les quartiers et demandé que les freins périphériques restent une "
        "priorité. Les décisions ci-dessous ont été arrêtées."
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _decision_action(story: Story, spec: DemoPlan, actions: list[Action], axis, day: date) -> Action | None:
    if axis is None:
        return None
    if axis == "slow":
        found = [a for s, a in zip(spec.actions, actions, strict=True) if s.slow or s.past_rate]
    else:
        found = [
            a
            for s, a in zip(spec.actions, actions, strict=True)
            if s.axis == axis and s.starts_on <= day + timedelta(days=60) and s.ends_on >= day
        ]
    return story.rng.choice(found) if found else None


def _decision(
    story: Story, meeting: Meeting, text: str, action, owner: str, role: str, recent: int, number: int
) -> None:
    rng, today, day = story.rng, story.today, meeting.held_on
    due = day + timedelta(days=rng.randint(30, 110))
    status, done_on, note = Decision.Status.OPEN, None, ""
    if recent == 1:
        # The latest meeting: two decisions due within the month, one later.
        due = today + timedelta(days=(9, 23, 75)[number])
    elif recent == 2 and number == 0:
        due = min(due, today - timedelta(days=rng.randint(5, 20)))  # open and overdue
    elif due < today:
        if rng.random() < 0.04:
            status, note = Decision.Status.CANCELLED, CANCELLED_NOTE
        elif recent <= 4 and rng.random() < 0.3:
            pass  # still open, overdue
        else:
            done_on = max(day + timedelta(days=1), min(due + timedelta(days=rng.randint(-15, 10)), today))
            status, note = Decision.Status.DONE, DONE_NOTE
    fields = {
        "text": text,
        "action": action,
        "owner_organisation": story.orgs[owner],
        "owner": role,
        "due_on": due,
    }
    decision = services_committees.create_decision(meeting, by=story.by, **fields)
    story.count("décisions")
    if status == Decision.Status.OPEN:
        return
    services_committees.update_decision(
        decision, by=story.by, status=status, note=note, done_on=done_on, **fields
    )
    # The service dates its follow-up line today; in the demo's story it was written on the day it happened.
    written = done_on or due
    label = Decision.Status(status).label.lower()
    Decision.objects.filter(pk=decision.pk).update(follow_up=f"{written:%d/%m/%Y} ({label}) : {note}")
