"""Benchmark: talent search and matching with 100,000 talent profiles.

Generates one territory's CV library (GPSEA): 100,000 profiles (80 % published, the rest drafts or
suspended, some with consent withdrawn) placed at the centres of the 16 communes by population,
each with 1 to 3 target jobs drawn from a few hundred ROME appellations weighted toward the
common jobs of the territory (logistics, cleaning, retail, care, building, catering), skills,
languages, mobility, availability and contracts; their minimal beneficiaries and follow-ups (the
one-to-one link); 1,000 job offers. Rows go in with ``COPY`` on PostgreSQL and ``executemany`` on
SQLite (``followup.Rows``), in a scratch database of the current engine (``scratch_db``).

Then it times, over many runs:

* ``search.search_profiles`` (what the search page calls: the total and a page of 20 with jobs
  and commune): broad, by job, by ROME fiche, by words, by distance, by availability, combined,
  and a deep page;
* ``matching.profiles_for_offer`` (ranked profiles for one offer) for a common job, a cleaning
  job with no skill asked, a care job, a rare job and an offer without a place;
* ``matching.offers_for_profile`` (open offers for one profile).

The peer, the naive approach, loads every published profile of the territory (or every open
offer) with its target jobs and filters, scores and sorts in Python, written independently from
the rules of ``talent/search.py`` and ``talent/matching.py``. Both must give the same results
(total and ids of the page, ids and scores of the ranking); the table prints p50/p95 in ms, the
SQL queries per call and the ratio naive / ours.

    python bench/talent.py [--profiles 100000] [--offers 1000] [--runs 100] [--naive-runs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from followup import QueryCounter, Rows, _chunked, reset_sequences
from measure import p, timed
from scratch_db import add_reuse_arguments, run_on_scratch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_PROFILES = 100_000
GOAL_SEARCH_MS = 150.0  # p95
GOAL_MATCH_MS = 200.0
PAGE = 20

# ROME fiche → weight: the jobs people of the QPV most often look for in GPSEA.
COMMON_FICHES = {
    "N1103": 14,  # magasinage et préparation de commandes
    "N1105": 7,  # manutention manuelle de charges
    "N1101": 6,  # conduite d'engins de déplacement des charges (caristes)
    "K2204": 12,  # nettoyage de locaux
    "D1507": 6,  # mise en rayon libre-service
    "D1505": 5,  # personnel de caisse
    "D1106": 3,  # vente en alimentation
    "K1304": 5,  # services domestiques
    "K1302": 6,  # assistance auprès d'adultes
    "K1303": 4,  # assistance auprès d'enfants
    "J1501": 4,  # soins d'hygiène, de confort du patient
    "J1301": 3,  # personnel polyvalent des services hospitaliers
    "F1703": 4,  # maçonnerie
    "F1704": 3,  # préparation du gros oeuvre
    "F1602": 2,  # électricité bâtiment
    "G1602": 4,  # personnel de cuisine
    "G1603": 4,  # personnel polyvalent en restauration
    "G1605": 2,  # plonge
    "N4105": 3,  # conduite et livraison par tournées
    "K2503": 3,  # sécurité et surveillance privées
    "M1607": 2,  # secrétariat
    "H3302": 2,  # opérations manuelles d'assemblage, tri ou emballage
}
LONG_TAIL = 200  # other appellations, drawn from the whole referential, rarely chosen
LONG_TAIL_WEIGHT = 10  # share of the long tail, against the sum of COMMON_FICHES

SKILLS = {
    "N1": ["CACES 1", "CACES 3", "CACES 5", "préparation de commandes", "lecture de bons", "gestion de stock",
           "port de charges", "inventaire", "scanner et terminal", "filmage de palettes"],
    "K2": ["nettoyage de locaux", "autolaveuse", "tri des déchets", "produits d'entretien", "vitrerie",
           "protocole d'hygiène"],
    "D1": ["encaissement", "mise en rayon", "accueil client", "étiquetage", "gestion des stocks", "vente"],
    "K1": ["aide à la toilette", "préparation des repas", "accompagnement", "entretien du logement",
           "garde d'enfants", "courses"],
    "J1": ["hygiène hospitalière", "aide à la toilette", "bionettoyage", "transport de patients"],
    "F1": ["maçonnerie", "coffrage", "lecture de plans", "port des EPI", "habilitation électrique",
           "échafaudage"],
    "G1": ["HACCP", "plonge", "service en salle", "cuisine collective", "mise en place", "hygiène alimentaire"],
}  # fmt: skip
GENERIC_SKILLS = ["travail en équipe", "ponctualité", "pack Office", "anglais", "permis B", "rigueur"]
LANGUAGES = ["arabe", "anglais", "portugais", "espagnol", "turc", "bambara", "tamoul", "roumain"]
HEADLINES = ["{job}, motivé·e et disponible", "{job} avec expérience", "{job} débutant·e",
             "{job}, {years} ans d'expérience"]  # fmt: skip
EXPERIENCES = [
    "{years} ans dans le métier, en intérim puis en CDD.",
    "Expérience en entreprise d'insertion ; formation suivie avec le PLIE.",
    "Reconversion après un congé parental ; stage d'immersion réussi.",
    "Missions courtes en {job} ; cherche un poste stable près de chez moi.",
]
CONTRACTS = ["cdi", "cdd", "interim", "alternance", "iae", "saisonnier"]
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def reference(prefix: str, number: int) -> str:
    """Unique references in bulk (the model's default draws at random, and would repeat in 100,000)."""
    letters = []
    for _ in range(6):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return f"{prefix}-{''.join(reversed(letters))}"


# -- Data -------------------------------------------------------------------------------------


def appellation_pool(rng: random.Random) -> list[tuple[int, str, str, float]]:
    """(appellation id, label, ROME code, weight): the common fiches, each appellation Zipf-weighted
    within its fiche, then a long tail of rare ones."""
    from cite_emploi.territory.models import RomeAppellation

    rows = list(
        RomeAppellation.objects.order_by("code").values_list("pk", "label", "occupation__code", "code")
    )
    by_fiche: dict[str, list] = {}
    for pk, label, rome, _ in rows:
        by_fiche.setdefault(rome, []).append((pk, label, rome))
    pool = []
    for rome, weight in COMMON_FICHES.items():
        jobs = by_fiche.get(rome, [])
        ranks = [1 / (rank + 1) for rank in range(len(jobs))]
        for job, rank in zip(jobs, ranks, strict=True):
            pool.append((*job, weight * rank / sum(ranks)))
    rare = [row[:3] for row in rows if row[2] not in COMMON_FICHES]
    for job in rng.sample(rare, LONG_TAIL):
        pool.append((*job, LONG_TAIL_WEIGHT / LONG_TAIL))
    return pool


def generate(territory, options) -> dict:
    import numpy as np
    from django.db import connection, transaction

    from cite_emploi.followup import models as f
    from cite_emploi.followup.models import search_key
    from cite_emploi.partners.models import Organisation, OrganisationKind
    from cite_emploi.talent.models import JobOffer, ProfileJob, TalentProfile
    from cite_emploi.talent.offers import fill_derived
    from cite_emploi.talent.text import profile_search_text
    from cite_emploi.territory.centres import commune_centre
    from cite_emploi.territory.models import RomeAppellation

    rng = random.Random(options.seed)
    npr = np.random.default_rng(options.seed)
    n = options.profiles
    today = date.today()
    now_text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    if connection.vendor == "postgresql":
        now_text += "+00:00"
    day_text = today.isoformat()

    def rows(model, *given):
        return Rows(model, list(given), now_text, day_text)

    communes = list(territory.communes.order_by("code"))
    centres = [commune_centre(c) for c in communes]
    commune_weights = [max(c.population or 1000, 1000) for c in communes]
    pool = appellation_pool(rng)
    pool_weights = np.array([w for *_, w in pool])
    pool_weights /= pool_weights.sum()
    by_domain: dict[str, list[int]] = {}
    for index, (_, _, rome, _) in enumerate(pool):
        by_domain.setdefault(rome[:3], []).append(index)

    referent_org, employer = Organisation.objects.bulk_create(
        [
            Organisation(
                territory=territory, name="Mission locale (banc d'essai)", kind=OrganisationKind.PLIE
            ),
            Organisation(
                territory=territory, name="Entreprise (banc d'essai)", kind=OrganisationKind.EMPLOYER
            ),
        ]
    )
    first_jobs = npr.choice(len(pool), size=n, p=pool_weights)
    n_jobs = npr.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
    status_draw = npr.random(n)
    commune_pick = rng.choices(range(len(communes)), weights=commune_weights, k=n)
    stats = {}
    started = time.perf_counter()
    with transaction.atomic():
        stats["bénéficiaires"] = _chunked(
            rows(
                f.Beneficiary,
                "id",
                "territory_id",
                "created_by_organisation_id",
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                "commune_id",
                "search_name",
            ),
            (
                (
                    i + 1,
                    territory.pk,
                    referent_org.pk,
                    "Camille",
                    f"Banc {i}",
                    (today - timedelta(days=7000 + i % 12000)).isoformat(),
                    "F" if i % 2 else "M",
                    communes[commune_pick[i]].pk,
                    search_key("Camille", f"Banc {i}"),
                )
                for i in range(n)
            ),
        )
        stats["suivis"] = _chunked(
            rows(f.FollowUp, "id", "beneficiary_id", "opened_on", "last_activity_at"),
            ((i + 1, i + 1, day_text, now_text) for i in range(n)),
        )
        profiles, jobs = [], []
        for i in range(n):
            chosen = [int(first_jobs[i])]
            while len(chosen) < n_jobs[i]:
                # People mostly look for neighbouring jobs: same domain first, anything sometimes.
                near = by_domain[pool[chosen[0]][2][:3]]
                pick = rng.choice(near) if rng.random() < 0.7 else int(npr.choice(len(pool), p=pool_weights))
                if pick not in chosen:
                    chosen.append(pick)
                elif len(near) == 1:
                    break
            labels = [pool[j][1] for j in chosen]
            family = SKILLS.get(pool[chosen[0]][2][:2], [])
            skills = rng.sample(family, min(len(family), rng.choice([1, 2, 3, 4]))) + rng.sample(
                GENERIC_SKILLS, rng.choice([0, 1, 2])
            )
            years = rng.choice([1, 2, 3, 5, 8])
            headline = rng.choice(HEADLINES).format(job=labels[0], years=years)[:200]
            experience = rng.choice(EXPERIENCES).format(job=labels[0].lower(), years=years)
            draw = status_draw[i]
            status = "publie" if draw < 0.80 else ("brouillon" if draw < 0.95 else "suspendu")
            withdrawn = day_text if draw >= 0.975 else None
            available = None if rng.random() < 0.5 else today + timedelta(days=rng.randint(-30, 120))
            commune = commune_pick[i]
            lat, lon = centres[commune]
            profiles.append(
                (
                    i + 1,
                    territory.pk,
                    i + 1,
                    reference("CV", i),
                    status,
                    "ABCDEFGHIJKLMNOPRSTVYZ"[i % 22],
                    headline,
                    json.dumps(skills),
                    experience,
                    json.dumps(["français", *rng.sample(LANGUAGES, rng.choice([0, 0, 1, 2]))]),
                    rng.random() < 0.4,
                    rng.choice([5, 10, 10, 10, 15, 20, 30]),
                    available.isoformat() if available else None,
                    rng.choices(["indifferent", "temps-plein", "temps-partiel"], [50, 35, 15])[0],
                    json.dumps(
                        [] if rng.random() < 0.3 else sorted(rng.sample(CONTRACTS, rng.choice([1, 2, 3])))
                    ),
                    communes[commune].pk,
                    lat,
                    lon,
                    profile_search_text(headline, skills, experience, labels),
                    day_text,
                    withdrawn,
                    now_text if status == "publie" else None,
                )
            )
            jobs += [(i + 1, pool[j][0], pool[j][2], pool[j][2][:3]) for j in chosen]
        stats["profils"] = _chunked(
            rows(
                TalentProfile,
                "id",
                "territory_id",
                "follow_up_id",
                "reference",
                "status",
                "initial",
                "headline",
                "skills",
                "experience_summary",
                "languages",
                "driving_licence",
                "mobility_km",
                "available_from",
                "working_time",
                "contracts",
                "commune_id",
                "latitude",
                "longitude",
                "search_text",
                "consent_given_on",
                "consent_withdrawn_on",
                "published_at",
            ),
            profiles,
        )
        stats["métiers visés"] = _chunked(
            rows(ProfileJob, "profile_id", "appellation_id", "rome_code", "domain"), jobs
        )
        reset_sequences([f.Beneficiary, f.FollowUp, TalentProfile])
    stats["préparation (s)"] = round(time.perf_counter() - started)

    appellations = RomeAppellation.objects.select_related("occupation").in_bulk([a for a, *_ in pool])
    offers = []
    for i in range(options.offers):
        job = pool[int(npr.choice(len(pool), p=pool_weights))]
        family = SKILLS.get(job[2][:2], [])
        commune = communes[rng.choices(range(len(communes)), weights=commune_weights)[0]]
        offer = JobOffer(
            territory=territory,
            organisation=employer,
            reference=reference("OF", i),
            title=f"{job[1]} (H/F)"[:200],
            appellation=appellations[job[0]],
            contract=rng.choice(CONTRACTS),
            hours_per_week=rng.choice([20, 24, 35, 35, 35]),
            skills=rng.sample(family, min(len(family), rng.choice([0, 1, 2, 3]))),
            commune=commune if i % 20 else None,
            starts_on=today + timedelta(days=rng.randint(0, 60)) if i % 3 else None,
            status=rng.choices(["ouverte", "pourvue", "fermee"], [80, 10, 10])[0],
        )
        offers.append(fill_derived(offer))
    JobOffer.objects.bulk_create(offers, batch_size=1000)
    stats["offres"] = len(offers)
    return stats


# -- The naive peer ---------------------------------------------------------------------------


def _haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371.0088 * math.asin(math.sqrt(min(a, 1.0)))


class Naive:
    """Every published profile (or open offer) of the territory loaded with its jobs, then
    filtered, scored and sorted in Python, one row at a time."""

    def __init__(self, territory):
        self.territory = territory

    def profiles(self) -> list[dict]:
        from cite_emploi.talent.models import ProfileJob, TalentProfile

        rows = list(
            TalentProfile.objects.filter(
                territory=self.territory, status="publie", consent_withdrawn_on__isnull=True
            ).values(
                "pk",
                "search_text",
                "latitude",
                "longitude",
                "mobility_km",
                "available_from",
                "contracts",
                "working_time",
                "skills",
                "published_at",
            )
        )
        jobs: dict[int, list] = {}
        for pk, appellation, code, rome in ProfileJob.objects.filter(
            profile__territory=self.territory
        ).values_list("profile_id", "appellation_id", "appellation__code", "rome_code"):
            jobs.setdefault(pk, []).append((appellation, code, rome))
        for row in rows:
            row["jobs"] = jobs.get(row["pk"], [])
        return rows

    def search(self, criteria, page: int = 1) -> tuple[int, list[int]]:
        from cite_emploi.partners.text import words

        found = []
        query = words(criteria.words)
        for row in self.profiles():
            jobs = criteria.appellation_codes or criteria.rome_codes
            if jobs and not any(
                code in criteria.appellation_codes or rome in criteria.rome_codes
                for _, code, rome in row["jobs"]
            ):
                continue
            if not all(word in row["search_text"] for word in query):
                continue
            if (
                criteria.available_by
                and row["available_from"]
                and row["available_from"] > criteria.available_by
            ):
                continue
            if (
                criteria.contracts
                and row["contracts"]
                and not set(row["contracts"]) & set(criteria.contracts)
            ):
                continue
            if criteria.working_time not in ("", "indifferent") and row["working_time"] not in (
                criteria.working_time,
                "indifferent",
            ):
                continue
            distance = None
            if criteria.near:
                if row["latitude"] is not None:
                    distance = _haversine_km(*criteria.near, row["latitude"], row["longitude"])
                if criteria.within_km is not None and (distance is None or distance > criteria.within_km):
                    continue
            published = row["published_at"].timestamp() if row["published_at"] else 0
            key = (distance is None, distance or 0.0) if criteria.near else ()
            found.append((*key, -published, -row["pk"]))
        found.sort()
        start = (page - 1) * PAGE
        return len(found), [-key[-1] for key in found[start : start + PAGE]]

    def match(self, offer) -> list[tuple[int, float]]:
        """The 20 best profiles for ``offer``: (id, score)."""
        scored = []
        for row in self.profiles():
            score = self.score(offer, row)
            if score is not None:
                scored.append((-round(score, 6), row["pk"]))
        scored.sort()
        return [(pk, -score) for score, pk in scored[:PAGE]]

    def offers(self, profile) -> list[tuple[int, float]]:
        """The 20 best open offers for ``profile``: (id, score)."""
        from cite_emploi.talent.models import JobOffer

        row = {
            "pk": profile.pk,
            "latitude": profile.latitude,
            "longitude": profile.longitude,
            "mobility_km": profile.mobility_km,
            "available_from": profile.available_from,
            "contracts": profile.contracts,
            "skills": profile.skills,
            "jobs": [(job.appellation_id, "", job.rome_code) for job in profile.jobs.all()],
        }
        scored = []
        for offer in JobOffer.objects.filter(territory=self.territory, status="ouverte"):
            score = self.score(offer, row)
            if score is not None:
                scored.append((-round(score, 6), offer.pk))
        scored.sort()
        return [(pk, -score) for score, pk in scored[:PAGE]]

    @staticmethod
    def score(offer, row) -> float | None:
        """The score of a pair by the rules of ADR 0009, or None when it is no match."""
        from cite_emploi.partners.text import fold

        tiers = [
            2 if appellation == offer.appellation_id else 1 if rome == offer.rome_code else 0
            for appellation, _, rome in row["jobs"]
            if rome[:3] == offer.rome_code[:3]
        ]
        if not tiers:
            return None
        score = {2: 50.0, 1: 35.0, 0: 15.0}[max(tiers)]
        reach = max(row["mobility_km"], 1.0)
        if offer.latitude is None or row["latitude"] is None:
            score += 10.0
        else:
            ratio = _haversine_km(offer.latitude, offer.longitude, row["latitude"], row["longitude"]) / reach
            if ratio > 2:
                return None
            score += 20.0 - 10 * ratio if ratio <= 1 else 10 * (2 - ratio)
        today = date.today()
        deadline = max(today, offer.starts_on) if offer.starts_on else today
        available = row["available_from"]
        if available is None or available <= deadline:
            score += 10.0
        elif available <= deadline + timedelta(days=30):
            score += 5.0
        if not row["contracts"] or offer.contract in row["contracts"]:
            score += 8.0
        skills = [" ".join(fold(s).split()) for s in row["skills"]]
        wanted = [" ".join(fold(s).split()) for s in offer.skills]
        hits = sum(1 for w in wanted if w and any(_has_words(skill, w) for skill in skills))
        return score + min(3.0 * hits, 12.0)


def _has_words(text: str, wanted: str) -> bool:
    """``wanted`` in ``text`` as whole words, by hand (no regular expression)."""
    start = text.find(wanted)
    while start != -1:
        end = start + len(wanted)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = text.find(wanted, start + 1)
    return False


# -- Measures ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesure de la recherche de talents et du rapprochement.")
    parser.add_argument("--profiles", type=int, default=GOAL_PROFILES)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100, help="mesures par ligne (défaut : 100)")
    parser.add_argument("--naive-runs", type=int, default=3, help="mesures de l'approche naïve (défaut : 3)")
    parser.add_argument("--seed", type=int, default=1)
    add_reuse_arguments(parser)
    run_on_scratch(parser.parse_args(), "talent", run)


def run(options, engine: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from cite_emploi.core.statistics import refresh_statistics
    from cite_emploi.territory.models import Territory
    from cite_emploi.territory.services import load_reference

    started = time.perf_counter()
    if options.reuse:
        territory = Territory.objects.get(slug="gpsea")
        stats = {"préparation (s)": 0}
    else:
        call_command("migrate", verbosity=0)
        load_reference()
        territory = Territory.objects.get(slug="gpsea")
        stats = generate(territory, options)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # What autovacuum does on a live server; without the visibility map PostgreSQL
                # cannot count from the indexes alone.
                cursor.execute("VACUUM ANALYZE")
                if options.random_page_cost:
                    # The setting docs/deploiement.md recommends on SSD; it applies to new sessions.
                    name = connection.ops.quote_name(connection.settings_dict["NAME"])
                    cursor.execute(
                        f"ALTER DATABASE {name} SET random_page_cost = {float(options.random_page_cost)}"
                    )
        else:
            refresh_statistics()  # what the daily task does (core/statistics.py)
        connection.close()

    def number(value: int) -> str:
        return f"{value:,}".replace(",", "\u202f")

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            print(f"PostgreSQL : random_page_cost = {cursor.fetchone()[0]}")
    load = ", ".join(f"{value:.2f}".replace(".", ",") for value in os.getloadavg())
    print(
        f"Recherche de talents et rapprochement — moteur : {engine} — Python {sys.version.split()[0]} — "
        + ", ".join(f"{number(v)} {k}" for k, v in stats.items() if not k.endswith("(s)"))
        + f" (préparation {time.perf_counter() - started:.0f} s) — charge de la machine : {load}"
    )
    table = measure(territory, options)
    print_table(table, options)


def searches(territory) -> list[tuple[str, object, int]]:
    from cite_emploi.talent.search import ProfileCriteria
    from cite_emploi.territory.centres import commune_centre
    from cite_emploi.territory.models import Commune

    today = date.today()
    creteil = commune_centre(Commune.objects.get(code="94028"))
    boissy = commune_centre(Commune.objects.get(code="94004"))
    return [
        ("recherche : aucun critère", ProfileCriteria(), 1),
        ("recherche : aucun critère, page 50", ProfileCriteria(), 50),
        ("recherche : métier « préparateur de commandes »", ProfileCriteria(appellation_codes=["17993"]), 1),
        ("recherche : fiches N1103 + K2204", ProfileCriteria(rome_codes=["N1103", "K2204"]), 1),
        ("recherche : mots « caces »", ProfileCriteria(words="caces"), 1),
        ("recherche : mots « aide toilette »", ProfileCriteria(words="aide toilette"), 1),
        ("recherche : 10 km autour de Créteil", ProfileCriteria(near=creteil, within_km=10), 1),
        ("recherche : 3 km autour de Boissy, page 5", ProfileCriteria(near=boissy, within_km=3), 5),
        (
            "recherche : disponibles sous 15 jours",
            ProfileCriteria(available_by=today + timedelta(days=15)),
            1,
        ),
        (
            "recherche : combinée (fiche, mot, 10 km, 30 jours, CDI)",
            ProfileCriteria(
                rome_codes=["N1101"],
                words="caces",
                near=creteil,
                within_km=10,
                available_by=today + timedelta(days=30),
                contracts=["cdi"],
            ),
            1,
        ),
        (
            "recherche : temps plein + CDD ou intérim",
            ProfileCriteria(working_time="temps-plein", contracts=["cdd", "interim"]),
            1,
        ),
    ]


def offers_to_match(territory) -> list[tuple[str, object]]:
    from cite_emploi.talent.models import JobOffer
    from cite_emploi.talent.offers import fill_derived
    from cite_emploi.territory.models import Commune, RomeAppellation

    today = date.today()
    employer = JobOffer.objects.filter(territory=territory).values_list("organisation_id", flat=True).first()
    creteil = Commune.objects.get(code="94028")
    pool_rare = (
        JobOffer.objects.filter(territory=territory)
        .exclude(rome_code__in=list(COMMON_FICHES))
        .values_list("appellation_id", flat=True)
        .order_by("pk")
        .first()
    )

    def offer(code_or_id, commune, **fields):
        lookup = {"pk": code_or_id} if isinstance(code_or_id, int) else {"code": code_or_id}
        made = JobOffer(
            territory=territory,
            organisation_id=employer,
            title="Offre mesurée",
            appellation=RomeAppellation.objects.select_related("occupation").get(**lookup),
            commune=commune,
            **({"contract": "cdi", "skills": []} | fields),
        )
        return fill_derived(made)

    found = [
        (
            "rapprochement : préparateur de commandes, Créteil, 2 compétences",
            offer(
                "17993", creteil, skills=["CACES 1", "Lecture de bons"], starts_on=today + timedelta(days=15)
            ),
        ),
        ("rapprochement : agent de propreté, Créteil, CDD", offer("10571", creteil, contract="cdd")),
        (
            "rapprochement : aide-soignant, Créteil, 1 compétence",
            offer("10891", creteil, skills=["bionettoyage"]),
        ),
        ("rapprochement : préparateur de commandes, lieu inconnu", offer("17993", None)),
    ]
    if pool_rare:
        found.append(("rapprochement : métier rare, Créteil", offer(pool_rare, creteil)))
    return found


def measure(territory, options) -> list[tuple]:
    from django.db import connection

    from cite_emploi.talent.matching import offers_for_profile, profiles_for_offer
    from cite_emploi.talent.models import TalentProfile
    from cite_emploi.talent.search import search_profiles

    naive = Naive(territory)
    table = []
    for label, criteria, page in searches(territory):
        call = lambda c=criteria, n=page: search_profiles(territory, c, page=n, per_page=PAGE)  # noqa: E731
        with QueryCounter(connection) as queries:
            call()
        times, cpu, result = timed_cpu(call, options.runs)
        theirs, (count, first) = timed(lambda c=criteria, n=page: naive.search(c, n), options.naive_runs, 1)
        same = result.total == count and [row.pk for row in result.rows] == first
        table.append((label, result.total, len(queries), times, cpu, theirs, same, GOAL_SEARCH_MS))

    for label, offer in offers_to_match(territory):
        call = lambda o=offer: profiles_for_offer(o, limit=PAGE)  # noqa: E731
        with QueryCounter(connection) as queries:
            call()
        times, cpu, matches = timed_cpu(call, options.runs)
        theirs, expected = timed(lambda o=offer: naive.match(o), options.naive_runs, 1)
        same = [(m.profile.pk, round(m.score, 6)) for m in matches] == [
            (pk, round(s, 6)) for pk, s in expected
        ]
        table.append((label, len(matches), len(queries), times, cpu, theirs, same, GOAL_MATCH_MS))

    people = (
        TalentProfile.objects.filter(territory=territory, status="publie", consent_withdrawn_on__isnull=True)
        .prefetch_related("jobs")
        .order_by("pk")
    )
    chosen = (("le premier", people.first()), ("le 5000e", people[min(4999, people.count() - 1)]))
    for which, person in chosen:
        label = f"offres pour un profil ({which})"
        call = lambda pk=person.pk: offers_for_profile(TalentProfile.objects.get(pk=pk), limit=PAGE)  # noqa: E731
        with QueryCounter(connection) as queries:
            call()
        times, cpu, matches = timed_cpu(call, options.runs)
        theirs, expected = timed(lambda pr=person: naive.offers(pr), options.naive_runs, 1)
        same = [(m.offer.pk, round(m.score, 6)) for m in matches] == [(pk, round(s, 6)) for pk, s in expected]
        table.append((label, len(matches), len(queries), times, cpu, theirs, same, GOAL_MATCH_MS))
    return table


def timed_cpu(function, runs: int, warmup: int = 2) -> tuple[list[float], list[float], object]:
    """Like ``measure.timed``, with the CPU time of this process too (ms): on SQLite it is the whole
    cost of a call, whatever else the machine runs; on PostgreSQL the server's share is not in it."""
    result = None
    for _ in range(warmup):
        result = function()
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus, result


def _ratio(value: float) -> str:
    return f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def print_table(table, options) -> None:
    head = (
        "mesure",
        "résultats",
        "requêtes",
        "p50 (ms)",
        "p95 (ms)",
        "CPU p50 (ms)",
        "naïf p50 (ms)",
        "naïf / nous",
        "mêmes",
    )
    lines = [head]
    for label, count, n_queries, ours, cpu, theirs, same, _ in table:
        lines.append(
            (
                label,
                f"{count:,}".replace(",", "\u202f"),
                str(n_queries),
                f"{p(ours, 50):.1f}",
                f"{p(ours, 95):.1f}",
                f"{p(cpu, 50):.1f}",
                f"{p(theirs, 50):.0f}",
                _ratio(p(theirs, 50) / p(ours, 50)),
                "oui" if same else "NON",
            )
        )
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    for i, row in enumerate(lines):
        print(
            "| "
            + " | ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(row))
            + " |"
        )
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    load = ", ".join(f"{value:.2f}".replace(".", ",") for value in os.getloadavg())
    print(
        f"\n{options.runs} mesures par ligne, {options.naive_runs} pour l'approche naïve ; "
        f"charge de la machine à la fin : {load}."
    )
    for kind, goal in (("recherche", GOAL_SEARCH_MS), ("rapprochement", GOAL_MATCH_MS)):
        rows = [row for row in table if row[7] == goal]
        worst = max(p(row[3], 95) for row in rows)
        if options.profiles < GOAL_PROFILES:
            verdict = f"non évalué (moins de {GOAL_PROFILES:,} profils)".replace(",", "\u202f")
        else:
            verdict = "atteint" if worst < goal else "NON atteint"
        print(f"Objectif {kind} : p95 < {goal:.0f} ms — {verdict} (pire p95 : {worst:.1f} ms).")
    if not all(row[6] for row in table):
        sys.exit("Résultats différents entre les deux approches.")


if __name__ == "__main__":
    main()
