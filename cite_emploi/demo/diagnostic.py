"""Fictitious diagnostic for the demo: one dataset of statistics by quartier and one shared report version.

- **The dataset** goes through ``diagnostic.services_datasets.import_dataset`` (``is_demo=True``), as a
  coordinator's file would: a long-format CSV built here, for each QPV of the current perimeter, each
  commune of the perimeter and the territory (level ``ept``, its SIREN). Job seekers in categories A, B, C
  (``demandeurs_emploi_abc``) at the end of 2024 and of 2025, by age group × sex with every margin, and
  four rates of 2021 (unemployment, households without a car, poverty, people without a diploma).
  Orders of magnitude are plausible and the quartiers fare worse than their commune and the
  territory, so that the gap analysis has imported evidence to show; the counts are consistent
  (margins are the sums of their cells). Title and source say loudly that nothing here may be quoted.
- **The report version** goes through ``diagnostic.services_report.save_version``: « Diagnostic partagé —
  version de travail », data as of yesterday, shared with the mayors and partners, with an analysis
  and the first contours of the action plan written in the coordinator's voice around the seed's four
  axes. Its snapshot is computed from the rest of the demo, so this step runs last.

Both services write one audit entry each: two entries, unlike the bulk rows of ``followup.py``, and
what a coordinator doing the same by hand would leave. Deterministic (``random.Random(SEED)``),
written once: when the territory already holds a demo dataset, nothing is written again.
"""

import csv
import io
import random
from datetime import date, timedelta

from django.utils import timezone

from cite_emploi.accounts.models import User
from cite_emploi.diagnostic.models import Dataset
from cite_emploi.diagnostic.services_datasets import import_dataset
from cite_emploi.diagnostic.services_report import save_version
from cite_emploi.territory.models import Commune
from cite_emploi.territory.queries import perimeter_pairs

SEED = 2027
COORDINATOR = "coordinator@demo.test"
TITLE = "Données fictives de démonstration — statistiques par quartier"
SOURCE = "Données fictives générées pour la démonstration (ne pas citer)"
LICENCE = "Licence Ouverte 2.0"
FILE_NAME = "statistiques-par-quartier-demo.csv"
DESCRIPTION = (
    "Jeu fictif chargé avec la démonstration : demandeurs d'emploi en catégories A, B, C par quartier, "
    "commune et territoire (fin 2024 et fin 2025) et quatre taux de 2021. Les ordres de grandeur sont "
    "vraisemblables mais aucun chiffre n'est réel."
)
REPORT_TITLE = "Diagnostic partagé — version de travail"

JOB_SEEKERS = ("demandeurs_emploi_abc", "Demandeurs d'emploi en catégories A, B, C", "personnes")
JOB_SEEKER_PERIODS = ("2024-T4", "2025-T4")
RATES_PERIOD = "2021"
# code, label, (low, high) for a quartier, for a commune, for the territory (in %).
RATES = (
    ("taux_chomage", "Taux de chômage des 15-64 ans", (19.0, 28.0), (10.0, 14.5), (11.0, 12.5)),
    (
        "part_menages_sans_voiture",
        "Part des ménages sans voiture",
        (42.0, 56.0),
        (26.0, 38.0),
        (30.0, 33.0),
    ),
    ("taux_pauvrete", "Taux de pauvreté (seuil à 60 %)", (34.0, 46.0), (13.0, 22.0), (15.5, 17.5)),
    (
        "part_non_diplomes",
        "Part des 15 ans et plus non scolarisés sans diplôme",
        (31.0, 42.0),
        (18.0, 27.0),
        (20.0, 23.0),
    ),
)
# Fictitious residents of each quartier's part in the perimeter; a QPV not listed gets a drawn size.
QPV_RESIDENTS = {
    "QN09405M": 15800,
    "QN09406I": 4400,
    "QN09404M": 4100,
    "QN09439N": 5200,
    "QN09403M": 6600,
    "QN09431M": 2700,
    "QN09420M": 4600,
    "QN09424I": 4200,
    "QN09438N": 3100,
}
# Share of job seekers among residents, and their split by age group then by women.
SEEKER_SHARE = {"qpv": (0.115, 0.14), "commune": (0.075, 0.09), "ept": (0.078, 0.082)}
AGE_SPLIT = {"qpv": (0.19, 0.61, 0.20), "commune": (0.15, 0.60, 0.25), "ept": (0.15, 0.60, 0.25)}
AGE_GROUPS = ("jeunes", "adultes", "seniors")
WOMEN_SHARE = (0.48, 0.53)
COLUMNS = (
    "niveau",
    "code",
    "indicateur",
    "libelle_indicateur",
    "tranche_age",
    "sexe",
    "periode",
    "valeur",
    "unite",
)

ANALYSIS = """\
[Texte fictif de démonstration] Ce diagnostic partagé a été préparé par l'équipe de la Cité de l'emploi avec les partenaires du territoire. Il rassemble les suivis enregistrés sur la plateforme, le recensement de l'offre de services et un jeu de statistiques par quartier, lui aussi fictif.

Les quartiers prioritaires restent nettement au-dessus de leur commune et du territoire pour le chômage, la pauvreté et la part des personnes sans diplôme. Le Mont-Mesly regroupe près d'un tiers des personnes suivies qui habitent un quartier prioritaire. À Saint-Martin et aux Bleuets, l'aller-vers rencontre du monde mais débouche encore sur peu d'accompagnements.

Les freins périphériques les plus souvent identifiés sont la mobilité, le numérique et la famille (garde d'enfants). Près d'un ménage sur deux est sans voiture dans les quartiers : plusieurs zones d'activités restent hors de portée sans accompagnement à la mobilité, d'où l'importance de la levée des freins périphériques.

Les opérations de recrutement innovantes (job datings, recrutement par simulation, visites d'entreprises) ont donné des embauches quand les candidats avaient été préparés par leur référent. La présence du service public de l'emploi dans les quartiers, par les permanences hebdomadaires et l'aller-vers, amène de nouvelles personnes dans le suivi, surtout des jeunes.

Enfin, beaucoup de demandeurs d'emploi des quartiers manquent de réseau : la valorisation des CV auprès des employeurs partenaires, par la CVthèque anonymisée, commence à produire des mises en relation qu'il faut maintenant suivre jusqu'à l'embauche."""

ACTION_CONTOURS = """\
[Texte fictif de démonstration] Axe 1 — Opérations de recrutement innovantes : organiser un job dating par trimestre dans un quartier différent, avec au moins un recrutement par simulation dans la logistique, et préparer systématiquement les candidats avec leur référent.

Axe 2 — Présence du service public de l'emploi dans les quartiers : maintenir une permanence hebdomadaire dans chacun des neuf quartiers et, à Saint-Martin et aux Bleuets, proposer un rendez-vous avec un conseiller dans la semaine à chaque personne rencontrée.

Axe 3 — Valorisation des CV : proposer la CVthèque à toutes les personnes suivies qui ont un projet professionnel, et présenter chaque mois une sélection de profils aux employeurs partenaires de la zone d'activités.

Axe 4 — Levée des freins périphériques : renforcer l'offre de mobilité (aide au permis, location solidaire) et de garde d'enfants là où le diagnostic montre des besoins mal couverts, et suivre le délai de réponse aux orientations entre structures.

Ces contours seront discutés au prochain comité de pilotage avec les maires et les partenaires, puis déclinés en actions, en indicateurs et en budget."""


def load_diagnostic_demo(territory, today: date | None = None) -> dict[str, int]:
    if Dataset.objects.filter(territory=territory, is_demo=True).exists():
        return {}
    coordinator = User.objects.get(email=COORDINATOR)
    today = today or timezone.localdate()
    outcome = import_dataset(
        territory,
        file_name=FILE_NAME,
        data=statistics_csv(territory),
        title=TITLE,
        source=SOURCE,
        licence=LICENCE,
        description=DESCRIPTION,
        by=coordinator,
        is_demo=True,
    )
    save_version(
        territory,
        as_of=today - timedelta(days=1),
        title=REPORT_TITLE,
        analysis=ANALYSIS,
        action_contours=ACTION_CONTOURS,
        is_shared=True,
        by=coordinator,
    )
    return {"observations statistiques (fictives)": outcome.imported, "versions du diagnostic": 1}


def places(territory) -> list[tuple[str, str, int]]:
    """(level, code, residents) of each QPV of the current perimeter, each of its communes, the territory."""
    pairs = perimeter_pairs(territory.current_perimeter)
    rng = random.Random(SEED)
    qpvs = [
        ("qpv", code, QPV_RESIDENTS.get(code) or rng.randint(2500, 6000))
        for code in sorted({q for q, _ in pairs})
    ]
    population = dict(
        Commune.objects.filter(code__in={c for _, c in pairs}).values_list("code", "population")
    )
    communes = [("commune", code, population[code] or 20000) for code in sorted(population)]
    residents = sum(p or 0 for p in territory.communes.values_list("population", flat=True)) or 300000
    return [*qpvs, *communes, ("ept", territory.siren, residents)]


def statistics_csv(territory) -> bytes:
    """The demo dataset as a coordinator would upload it: UTF-8 CSV with « ; », decimal commas."""
    rng = random.Random(SEED)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for level, code, residents in places(territory):
        for row in _job_seekers(rng, level, code, residents):
            writer.writerow(row)
        for indicator, label, *ranges in RATES:
            low, high = ranges[("qpv", "commune", "ept").index(level)]
            value = f"{rng.uniform(low, high):.1f}".replace(".", ",")
            writer.writerow((level, code, indicator, label, "", "", RATES_PERIOD, value, "%"))
    return out.getvalue().encode("utf-8")


def _job_seekers(rng: random.Random, level: str, code: str, residents: int) -> list[tuple]:
    """The age group × sex cube of each period with its margins, the margins summed from the cells."""
    indicator, label, unit = JOB_SEEKERS
    rows = []
    total = residents * rng.uniform(*SEEKER_SHARE[level])
    for period in JOB_SEEKER_PERIODS:
        total *= rng.uniform(0.96, 1.04)  # a year's move, either way
        cells = {}
        for group, share in zip(AGE_GROUPS, AGE_SPLIT[level], strict=True):
            people = total * share * rng.uniform(0.95, 1.05)
            women = round(people * rng.uniform(*WOMEN_SHARE))
            cells[(group, "F")], cells[(group, "M")] = women, round(people) - women
        margins = {
            **cells,
            **{(g, ""): cells[(g, "F")] + cells[(g, "M")] for g in AGE_GROUPS},
            **{("", s): sum(cells[(g, s)] for g in AGE_GROUPS) for s in ("F", "M")},
            ("", ""): sum(cells.values()),
        }
        for (group, sex), value in margins.items():
            rows.append((level, code, indicator, label, group, sex, period, value, unit))
    return rows
