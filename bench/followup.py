"""Benchmark: « mes bénéficiaires » and a beneficiary's page with 200,000 people and 2,000,000 timeline events.

Generates one territory's follow-ups (GPSEA): beneficiaries spread over the nine QPV of the
perimeter and the communes, their follow-ups, members (a counsellor following about 2,000 people,
a coordinator following 10,000, colleagues following the rest), consents, situation facts,
barriers, projects, referrals, outcomes, cohorts, case-review items and the timeline events,
with a few people whose timeline is very long. Rows go in with ``COPY`` on PostgreSQL and
``executemany`` on SQLite, in a scratch database of the current engine (``scratch_db``).

Then it times, over many runs, the real pages through Django's test client with a logged-in
user — middleware, scope, queries, audit entries and template included:

* the list page (``views.beneficiary_list`` → ``queries.my_beneficiaries`` + pagination), with each
  filter (QPV, age group, barrier, status, last contact), the name search and a deep page, for
  the counsellor and the coordinator;
* the beneficiary page (``views.beneficiary_detail``) of a typical person and of the person with
  the longest timeline.

The peer, the naive approach, does the same reads the obvious way: the list loads every visible
person and asks, per person, for the last contact, the referent and the open barriers, then
filters and sorts in Python; the page loads the whole timeline and follows each foreign key lazily.
Both must give the same counts; the table prints p50/p95 in ms, the SQL queries per request
and the ratio naive / ours.

    python bench/followup.py [--beneficiaries 200000] [--events 2000000] [--runs 40] [--naive-runs 2]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from measure import p, timed
from scratch_db import add_reuse_arguments, run_on_scratch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_MS = 150.0
GOAL_BENEFICIARIES = 200_000
GOAL_EVENTS = 2_000_000
COUNSELLOR_FOLLOWS = 2_000
COORDINATOR_FOLLOWS = 10_000
HEAVY_EVENTS = 5_000  # the longest timeline (the page shows the latest 200)
CHUNK = 100_000

FIRST = ["Amina", "Camille", "Inès", "Karim", "Lucas", "Mamadou", "Nour", "Sofiane", "Yasmine", "Théo",
         "Fatoumata", "Mehdi", "Sarah", "Youssef", "Chloé", "Omar", "Élodie", "Moussa", "Leïla", "Hugo"]  # fmt: skip
LAST = ["Martin", "Diallo", "Traoré", "Benali", "Haddad", "Nguyen", "Da Silva", "Petit", "N'Diaye", "Camara",
        "Keita", "Cissé", "Yilmaz", "Pereira", "Lefebvre", "Garcia", "Touré", "Sylla", "Fofana", "Bah",
        "Belkacem", "Amrani", "Roux", "Girard", "Dupont", "Morel", "Boyer", "Ouattara", "Coulibaly", "Tran"]  # fmt: skip
TEXTS = ["Point sur les candidatures.", "Rendez-vous de suivi mensuel.", "Appel téléphonique.",
         "Atelier CV.", "Relance par SMS.", "Préparation d'un entretien d'embauche."]  # fmt: skip
THEMES = [
    "mobilite--preparer-un-permis",
    "numerique--acceder-a-des-services-en-ligne",
    "famille--garde-denfants",
    "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    "lecture-ecriture-calcul--maitriser-le-francais",
    "remobilisation--bien-etre-confiance-en-soi",
    "se-former--trouver-sa-formation",
]


# -- Bulk insertion ---------------------------------------------------------------------------


class Rows:
    """Rows of one model as tuples in column order; fields not given take the model's default."""

    def __init__(self, model, given: list[str], now_text: str, day_text: str):
        from django.db import connection

        self.model = model
        # The primary key is left to the database unless the caller gives it.
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
        self.columns = [f.column for f in self.fields]
        position = {f.attname: i for i, f in enumerate(self.fields)}
        self.positions = [position[name] for name in given]
        template = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now_text
            elif f.primary_key:
                value = None
            else:
                value = f.get_default()
                if isinstance(value, date):
                    value = now_text if hasattr(value, "hour") else day_text
            template.append(value)
        self.template = template
        self.vendor = connection.vendor

    def build(self, values) -> list:
        template, positions = self.template, self.positions
        rows = []
        for row_values in values:
            row = template.copy()
            for position, value in zip(positions, row_values, strict=True):
                row[position] = value
            rows.append(row)
        return rows

    def insert(self, values) -> int:
        from django.db import connection

        rows = self.build(values)
        if not rows:
            return 0
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in self.columns)
        table = quote(self.model._meta.db_table)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return len(rows)


def reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


# -- Data -------------------------------------------------------------------------------------


class Clock:
    """Timestamps as the engine stores them, built in bulk with numpy (2,000,000 of them)."""

    def __init__(self, vendor: str):
        import numpy as np

        self.np = np
        self.now = np.datetime64(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "s")
        self.suffix = "+00:00" if vendor == "postgresql" else ""

    def texts(self, seconds_ago):
        np = self.np
        moments = self.now - seconds_ago.astype("timedelta64[s]")
        text = np.char.replace(np.datetime_as_string(moments, unit="s"), "T", " ")
        return np.char.add(text, self.suffix) if self.suffix else text

    def now_text(self) -> str:
        return str(self.texts(self.np.array([0]))[0])


def generate(territory, options) -> dict:
    import numpy as np
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from cite_emploi.accounts.models import Membership, Role, User
    from cite_emploi.followup import models as f
    from cite_emploi.followup.models import search_key
    from cite_emploi.partners import enums
    from cite_emploi.partners.models import Organisation, OrganisationKind, Service
    from cite_emploi.territory.models import QPV

    rng = random.Random(options.seed)
    npr = np.random.default_rng(options.seed)
    n, n_events = options.beneficiaries, options.events
    clock = Clock(connection.vendor)
    now_text = clock.now_text()
    today = date.today()
    day_text = today.isoformat()

    def rows(model, *given):
        return Rows(model, list(given), now_text, day_text)

    qpvs = list(
        QPV.objects.filter(
            perimeter_areas__perimeter__territory=territory, perimeter_areas__perimeter__is_current=True
        )
        .distinct()
        .order_by("code")
    )
    communes = list(territory.communes.order_by("code"))
    kinds = [OrganisationKind.FRANCE_TRAVAIL, OrganisationKind.MISSION_LOCALE, OrganisationKind.PLIE]
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(territory=territory, name=f"Organisation {i} (banc d'essai)", kind=kinds[i % 3])
            for i in range(40)
        ]
        + [
            Organisation(
                territory=territory, name="Coordination (banc d'essai)", kind=OrganisationKind.CITE_TEAM
            )
        ]
    )
    cite = orgs[-1]
    orgs = orgs[:-1]
    services = Service.objects.bulk_create(
        [
            Service(
                organisation=orgs[i % len(orgs)],
                name=f"Service {i}",
                thematiques=[THEMES[i % len(THEMES)]],
                updated_on=today,
            )
            for i in range(200)
        ]
    )
    password = make_password(None)
    n_staff = max(20, n // 700)
    users = User.objects.bulk_create(
        [User(email="counsellor@bench.test", first_name="Conseillère", last_name="Banc", password=password)]
        + [
            User(
                email="coordinator@bench.test", first_name="Coordination", last_name="Banc", password=password
            )
        ]
        + [
            User(email=f"staff{i}@bench.test", first_name="Collègue", last_name=f"N° {i}", password=password)
            for i in range(n_staff)
        ]
    )
    counsellor, coordinator, staff = users[0], users[1], users[2:]
    staff_org = {u.pk: orgs[i % len(orgs)] for i, u in enumerate(staff)}
    Membership.objects.bulk_create(
        [Membership(user=counsellor, organisation=orgs[0], role=Role.COUNSELLOR)]
        + [Membership(user=coordinator, organisation=cite, role=Role.COORDINATOR)]
        + [Membership(user=u, organisation=staff_org[u.pk], role=Role.COUNSELLOR) for u in staff]
    )
    staff_ids = np.array([u.pk for u in staff])
    staff_orgs = np.array([staff_org[u.pk].pk for u in staff])

    # People: ids 1..n; who follows whom is decided by index.
    ids = np.arange(1, n + 1)
    counsellor_of = npr.choice(ids, size=min(COUNSELLOR_FOLLOWS, n), replace=False)
    coordinator_of = npr.choice(ids, size=min(COORDINATOR_FOLLOWS, n), replace=False)
    referent_staff = npr.integers(0, len(staff), size=n)
    in_qpv = npr.random(n) < 0.75
    qpv_pick = npr.integers(0, len(qpvs), size=n)
    commune_pick = npr.integers(0, len(communes), size=n)
    ages_days = npr.integers(16 * 365 + 1, 64 * 365, size=n)
    opened_ago = npr.integers(1, 900, size=n)
    closed = (npr.random(n) < 0.2) & (opened_ago > 60)
    consent = npr.random(n) < 0.85
    qpv_commune = {q.pk: q.communes.order_by("code").values_list("pk", flat=True).first() for q in qpvs}
    stats = {}
    started = time.perf_counter()
    with transaction.atomic():
        table = rows(
            f.Beneficiary,
            "id",
            "territory_id",
            "created_by_organisation_id",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "commune_id",
            "qpv_id",
            "in_perimeter",
            "located_by",
            "search_name",
            "france_travail_id",
        )
        values = []
        for i in range(n):
            first, last = FIRST[rng.randrange(len(FIRST))], LAST[rng.randrange(len(LAST))]
            qpv = qpvs[qpv_pick[i]] if in_qpv[i] else None
            values.append(
                (
                    i + 1,
                    territory.pk,
                    int(staff_orgs[referent_staff[i]]),
                    first,
                    f"{last} {i}",  # numbered surnames: a name search finds a few people, as in life
                    (today - timedelta(days=int(ages_days[i]))).isoformat(),
                    "F" if i % 2 else "M",
                    qpv_commune[qpv.pk] if qpv else communes[commune_pick[i]].pk,
                    qpv.pk if qpv else None,
                    bool(qpv),
                    "map",
                    search_key(first, f"{last} {i}"),
                    f"{i:07d}X" if i % 3 == 0 else "",
                )
            )
        stats["bénéficiaires"] = _chunked(table, values)

        opened = [(today - timedelta(days=int(d))).isoformat() for d in opened_ago]
        stats["suivis"] = _chunked(
            rows(f.FollowUp, "id", "beneficiary_id", "status", "opened_on", "closed_on", "last_activity_at"),
            (
                (
                    i + 1,
                    i + 1,
                    "closed" if closed[i] else "open",
                    opened[i],
                    (today - timedelta(days=int(opened_ago[i]) // 2)).isoformat() if closed[i] else None,
                    now_text,
                )
                for i in range(n)
            ),
        )

        counsellor_set, coordinator_set = set(counsellor_of.tolist()), set(coordinator_of.tolist())
        members = []
        for i in range(1, n + 1):
            s = int(referent_staff[i - 1])
            mine = i in counsellor_set
            # The counsellor is the referent of three in four of their people, a member of the others.
            counsellor_referent = mine and i % 4 != 0
            members.append((i, int(staff_orgs[s]), int(staff_ids[s]), not counsellor_referent, None))
            if mine:
                members.append((i, orgs[0].pk, counsellor.pk, counsellor_referent, None))
            if i in coordinator_set:
                members.append((i, cite.pk, coordinator.pk, False, None))
            if consent[i - 1] and i % 3 == 0:
                other = (s + 7) % len(staff)
                members.append((i, int(staff_orgs[other]), int(staff_ids[other]), False, None))
            if i % 20 == 0:
                other = (s + 3) % len(staff)
                members.append((i, int(staff_orgs[other]), int(staff_ids[other]), False, day_text))
        stats["membres"] = _chunked(
            rows(f.FollowUpMember, "follow_up_id", "organisation_id", "user_id", "is_referent", "ended_on"),
            members,
        )
        stats["consentements"] = _chunked(
            rows(f.Consent, "beneficiary_id", "given_on", "organisation_id", "collected_by_id"),
            (
                (i + 1, opened[i], int(staff_orgs[referent_staff[i]]), int(staff_ids[referent_staff[i]]))
                for i in range(n)
                if consent[i]
            ),
        )
        stats["situations"] = _chunked(
            rows(f.SituationFact, "beneficiary_id", "kind", "value", "started_on"),
            ((i + 1, "ft_categorie", "A", opened[i]) for i in range(n) if i % 3 == 0),
        )
        barrier_counts = npr.choice([0, 1, 2, 3], size=n, p=[0.25, 0.35, 0.25, 0.15])
        barrier_values, barrier_id = [], 0
        barrier_of = {}
        statuses = ["identified", "in_progress", "lifted", "not_lifted"]
        for i in range(n):
            for k, theme in enumerate(rng.sample(THEMES, int(barrier_counts[i]))):
                barrier_id += 1
                barrier_of.setdefault(i + 1, barrier_id)
                barrier_values.append(
                    (
                        barrier_id,
                        i + 1,
                        theme,
                        enums.category_of(theme),
                        statuses[(i + k) % 4],
                        opened[i],
                        opened[i],
                    )
                )
        stats["freins"] = _chunked(
            rows(
                f.Barrier,
                "id",
                "follow_up_id",
                "thematique",
                "category",
                "status",
                "identified_on",
                "status_changed_on",
            ),
            barrier_values,
        )
        # The status history these barriers imply, by the same rule as the demo's (``history_of``).
        stats["historique des freins"] = _chunked(
            rows(f.BarrierStatusChange, "barrier_id", "status", "changed_on"),
            (
                (change.barrier_id, change.status, change.changed_on)
                for pk, _, _, _, status, identified, changed in barrier_values
                for change in f.history_of(
                    f.Barrier(pk=pk, status=status, identified_on=identified, status_changed_on=changed)
                )
            ),
        )
        stats["projets"] = _chunked(
            rows(f.ProfessionalProject, "follow_up_id", "contracts", "mobility_km"),
            ((i + 1, "[]" if connection.vendor == "sqlite" else '["cdi"]', 10) for i in range(0, n, 3)),
        )
        referral_statuses = ["sent", "accepted", "refused", "started", "completed", "abandoned"]
        referral_values = []
        for i in range(0, n, 4):
            s = int(referent_staff[i])
            service = services[i % len(services)]
            referral_values.append(
                (
                    i + 1,
                    service.pk,
                    barrier_of.get(i + 1),
                    int(staff_ids[s]),
                    int(staff_orgs[s]),
                    service.organisation_id,
                    referral_statuses[i % len(referral_statuses)],
                    now_text,
                )
            )
        stats["orientations"] = _chunked(
            rows(
                f.Referral,
                "follow_up_id",
                "service_id",
                "barrier_id",
                "sender_id",
                "sender_organisation_id",
                "receiving_organisation_id",
                "status",
                "sent_at",
            ),
            referral_values,
        )
        stats["sorties"] = _chunked(
            rows(f.Outcome, "follow_up_id", "kind", "occurred_on"),
            ((i + 1, "formation", opened[i]) for i in range(n) if closed[i]),
        )
        heavy = int(counsellor_of.min())  # the longest timeline is of a person the counsellor follows
        stats["événements"] = _events(
            rows, clock, npr, n, n_events, heavy, opened_ago, staff_ids, staff_orgs, referent_staff
        )
        reset_sequences([f.Beneficiary, f.FollowUp, f.Barrier])
    stats["préparation (s)"] = round(time.perf_counter() - started)
    people = {
        "counsellor": counsellor,
        "coordinator": coordinator,
        "typical": sorted(counsellor_set)[len(counsellor_set) // 2],
        "heavy": heavy,
        "coordinator_typical": int(min(coordinator_set)),
    }
    return {"stats": stats, "people": people}


def _events(rows, clock, npr, n, n_events, heavy, opened_ago, staff_ids, staff_orgs, referent_staff) -> int:
    """``n_events`` timeline lines: about ten per person, skewed, the heaviest person given HEAVY_EVENTS."""
    import numpy as np

    from cite_emploi.followup.models import TimelineEvent

    weights = npr.lognormal(0.0, 0.8, size=n)
    counts = np.floor(weights / weights.sum() * max(0, n_events - HEAVY_EVENTS)).astype(np.int64)
    counts[np.argmax(counts)] += max(0, n_events - HEAVY_EVENTS) - int(counts.sum())
    counts[heavy - 1] += min(HEAVY_EVENTS, n_events)
    follow_ups = np.repeat(np.arange(1, n + 1), counts)
    kinds = np.array(["note", "rdv", "contact", "orientation", "frein", "membre"])
    table = rows(
        TimelineEvent, "follow_up_id", "kind", "at", "author_id", "organisation_id", "visibility", "text"
    )
    total = 0
    for start in range(0, len(follow_ups), CHUNK):
        chunk = follow_ups[start : start + CHUNK]
        size = len(chunk)
        span = opened_ago[chunk - 1] * 86_400
        ago = (npr.random(size) * span).astype(np.int64)
        future = npr.random(size) < 0.01  # planned appointments
        ago[future] = -npr.integers(3600, 20 * 86_400, size=int(future.sum()))
        at = clock.texts(ago)
        kind = kinds[npr.choice(len(kinds), size=size, p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.05])]
        kind[future] = "rdv"
        staff = referent_staff[chunk - 1]
        private = npr.random(size) < 0.08
        visibility = np.where(private, "organisation", "membres")
        text = np.array(TEXTS)[npr.integers(0, len(TEXTS), size=size)]
        total += table.insert(
            zip(
                chunk.tolist(),
                kind.tolist(),
                at.tolist(),
                staff_ids[staff].tolist(),
                staff_orgs[staff].tolist(),
                visibility.tolist(),
                text.tolist(),
                strict=True,
            )
        )
    return total


def _chunked(table: Rows, values) -> int:
    total, batch = 0, []
    for value in values:
        batch.append(value)
        if len(batch) >= CHUNK:
            total += table.insert(batch)
            batch = []
    return total + table.insert(batch)


# -- The naive peer ---------------------------------------------------------------------------


class Naive:
    """The reads of both pages done the obvious way: per-row queries, filters and sorting in Python."""

    def __init__(self, user, territory):
        self.user, self.territory = user, territory

    def list_page(self, params: dict) -> tuple[int, list[int]]:
        from django.utils import timezone

        from cite_emploi.followup.models import Beneficiary, FollowUpMember, fold_name
        from cite_emploi.followup.queries import CONTACT_KINDS, OPEN_BARRIER_STATUSES, years_before

        now, today = timezone.now(), timezone.localdate()
        ids = FollowUpMember.objects.filter(user=self.user, ended_on__isnull=True).values_list(
            "follow_up__beneficiary_id", flat=True
        )
        people = Beneficiary.objects.filter(
            pk__in=list(ids), territory=self.territory, anonymised_at__isnull=True
        ).select_related("follow_up", "qpv")
        status = params.get("statut", "open")
        words = fold_name(params.get("q", "")).split()
        born_26, born_50 = years_before(today, 26), years_before(today, 50)
        kept = []
        for b in people:
            if status != "tous" and b.follow_up.status != status:
                continue
            if words and not all(w in b.search_name for w in words):
                continue
            if params.get("qpv") == "hors-qpv" and b.qpv_id is not None:
                continue
            if params.get("qpv") not in (None, "", "hors-qpv") and (
                b.qpv is None or b.qpv.code != params["qpv"]
            ):
                continue
            age = params.get("age")
            if age == "jeunes" and not b.birth_date > born_26:
                continue
            if age == "adultes" and not born_50 < b.birth_date <= born_26:
                continue
            if age == "seniors" and not b.birth_date <= born_50:
                continue
            barriers = list(b.follow_up.barriers.all())
            if params.get("frein") and not any(x.category == params["frein"] for x in barriers):
                continue
            last = b.follow_up.events.filter(kind__in=CONTACT_KINDS, at__lte=now).order_by("-at").first()
            if params.get("contact") is not None:
                since = now - timedelta(days=int(params["contact"]))
                if last is not None and last.at >= since:
                    continue
            referent = b.follow_up.members.filter(is_referent=True, ended_on__isnull=True).first()
            b.open_barriers = sum(x.status in OPEN_BARRIER_STATUSES for x in barriers)
            b.referent_name = referent.organisation.name if referent else ""
            kept.append(b)
        kept.sort(key=lambda b: (b.last_name, b.first_name, b.pk))
        page = int(params.get("page", 1))
        return len(kept), [b.pk for b in kept[(page - 1) * 20 : page * 20]]

    def detail_page(self, pk: int) -> int:
        from cite_emploi.followup.models import Beneficiary

        b = Beneficiary.objects.get(pk=pk, territory=self.territory)
        follow_up = b.follow_up
        mine = {m.organisation_id for m in self.user.memberships.all()}
        shown = 0
        for e in follow_up.events.order_by("-at"):
            if e.visibility == "organisation" and e.organisation_id not in mine:
                continue
            shown += 1
            _ = (e.author, e.organisation)  # lazy: one query each
        for m in follow_up.members.all():
            _ = (m.user, m.organisation)
        for r in follow_up.referrals.all():
            _ = (r.service, r.sender, r.receiving_organisation)
        _ = (
            list(b.facts.all()),
            list(b.consents.all()),
            list(follow_up.barriers.all()),
            list(follow_up.outcomes.all()),
        )
        return min(shown, 200)


LIST_SCENARIOS = [
    ("liste : en cours (défaut)", {}, True),
    ("liste : tous les statuts", {"statut": "tous"}, False),
    ("liste : QPV Mont-Mesly", {"qpv": "QN09405M"}, False),
    ("liste : hors QPV", {"qpv": "hors-qpv"}, False),
    ("liste : jeunes", {"age": "jeunes"}, False),
    ("liste : frein mobilité", {"frein": "mobilite"}, False),
    ("liste : sans contact depuis 60 j", {"contact": "60"}, True),
    ("liste : clos", {"statut": "closed"}, False),
    ("liste : QPV + seniors + frein", {"qpv": "QN09405M", "age": "seniors", "frein": "numerique"}, False),
    ("liste : nom « traore 1 »", {"q": "traore 1", "statut": "tous"}, True),
    ("liste : page 20", {"page": "20"}, False),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Mesure de « mes bénéficiaires » et de la fiche d'une personne."
    )
    parser.add_argument("--beneficiaries", type=int, default=GOAL_BENEFICIARIES)
    parser.add_argument("--events", type=int, default=GOAL_EVENTS)
    parser.add_argument("--runs", type=int, default=40, help="mesures par page (défaut : 40)")
    parser.add_argument("--naive-runs", type=int, default=2, help="mesures de l'approche naïve (défaut : 2)")
    parser.add_argument("--seed", type=int, default=1)
    add_reuse_arguments(parser)
    run_on_scratch(parser.parse_args(), "followup", run)


def run(options, engine: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_started
    from django.db import connection, reset_queries

    from cite_emploi.territory.models import Territory
    from cite_emploi.territory.services import load_reference

    # The query count per page is read around each request: keep Django from clearing it at its start.
    request_started.disconnect(reset_queries)
    started = time.perf_counter()
    if options.reuse:
        territory = Territory.objects.get(slug="gpsea")
        stats, people = {"préparation (s)": 0}, find_people()
    else:
        call_command("migrate", verbosity=0)
        load_reference()
        territory = Territory.objects.get(slug="gpsea")
        data = generate(territory, options)
        with connection.cursor() as cursor:
            # What autovacuum does on a live server; without the visibility map PostgreSQL cannot
            # answer from the indexes alone.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
            if connection.vendor == "postgresql" and options.random_page_cost:
                # The setting docs/deploiement.md recommends on SSD; it applies to new sessions.
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(
                    f"ALTER DATABASE {name} SET random_page_cost = {float(options.random_page_cost)}"
                )
        connection.close()
        stats, people = data["stats"], data["people"]

    def number(value: int) -> str:
        return f"{value:,}".replace(",", "\u202f")

    print(
        f"« Mes bénéficiaires » et fiche — moteur : {engine} — Python {sys.version.split()[0]} — "
        + ", ".join(f"{number(v)} {k}" for k, v in stats.items() if not k.endswith("(s)"))
        + f" (préparation {time.perf_counter() - started:.0f} s, dont insertion {stats['préparation (s)']} s)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            print(f"PostgreSQL : random_page_cost = {cursor.fetchone()[0]}")
    table = []
    for who in ("counsellor", "coordinator"):
        table += measure(who, people, territory, options)
    print_table(table, options)


def measure(who: str, people: dict, territory, options) -> list[tuple]:
    """Every list scenario and the beneficiary pages, as ``who`` sees them; one table row each."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    user = people[who]
    client = Client()
    client.force_login(user)
    naive = Naive(user, territory)
    list_url = reverse("followup:beneficiaries")
    table = []

    # Read from the HTML: ``response.context`` would need the test instrumentation of templates.
    count_re = re.compile(r'<h2 class="fr-h4">([^<]*?) personne')
    row_re = re.compile(r'<td><a href="[^"]*/beneficiaires/(\d+)/">')

    def list_page(params):
        response = client.get(list_url, params)
        assert response.status_code == 200, response.status_code
        html = response.content.decode()
        count = int("".join(c for c in count_re.search(html).group(1) if c.isdigit()))
        return count, [int(pk) for pk in row_re.findall(html)]

    def detail_page(url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content.decode().count('<li class="fr-mb-2w">')

    for label, params, with_naive in LIST_SCENARIOS:
        with QueryCounter(connection) as queries:
            list_page(params)
        times, (count, first) = timed(lambda params=params: list_page(params), options.runs)
        theirs, same = None, None
        if with_naive and options.naive_runs:
            theirs, (naive_count, naive_first) = timed(
                lambda params=params: naive.list_page(params), options.naive_runs, warmup=0
            )
            same = count == naive_count and first == naive_first
        table.append((f"{label} — {_who(who)}", count, len(queries), times, theirs, same))
    pages = [("fiche : personne type", people["typical" if who == "counsellor" else "coordinator_typical"])]
    if who == "counsellor":
        pages.append(("fiche : parcours le plus long", people["heavy"]))
    for label, pk in pages:
        url = reverse("followup:beneficiary", args=[pk])
        with QueryCounter(connection) as queries:
            detail_page(url)
        times, shown = timed(lambda url=url: detail_page(url), options.runs)
        theirs, same = None, None
        if options.naive_runs:
            theirs, naive_shown = timed(lambda pk=pk: naive.detail_page(pk), options.naive_runs, warmup=0)
            same = shown == naive_shown
        table.append((f"{label} — {_who(who)}", shown, len(queries), times, theirs, same))
    return table


class QueryCounter:
    """Counts the SQL statements run inside the block (``len()``), whatever DEBUG and the query log say."""

    def __init__(self, connection):
        self.connection, self.count = connection, 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self) -> int:
        return self.count


def find_people() -> dict:
    """The users and people ``generate`` chose, read back from a kept database."""
    from django.db.models import Count

    from cite_emploi.accounts.models import User
    from cite_emploi.followup.models import FollowUpMember, TimelineEvent

    counsellor = User.objects.get(email="counsellor@bench.test")
    coordinator = User.objects.get(email="coordinator@bench.test")
    mine = sorted(
        FollowUpMember.objects.filter(user=counsellor, ended_on__isnull=True).values_list(
            "follow_up_id", flat=True
        )
    )
    heavy = (
        TimelineEvent.objects.filter(follow_up_id__in=mine[:50])
        .values("follow_up_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["follow_up_id"]
    )
    theirs = FollowUpMember.objects.filter(user=coordinator, ended_on__isnull=True).order_by("follow_up_id")
    return {
        "counsellor": counsellor,
        "coordinator": coordinator,
        "typical": mine[len(mine) // 2],
        "heavy": heavy,
        "coordinator_typical": theirs.values_list("follow_up_id", flat=True)[0],
    }


def _who(who: str) -> str:
    return {"counsellor": "conseillère (2 000)", "coordinator": "coordination (10 000)"}[who]


def _ratio(value: float) -> str:
    return f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def print_table(table, options) -> None:
    head = (
        "mesure",
        "résultats",
        "requêtes",
        "p50 (ms)",
        "p95 (ms)",
        "naïf p50 (ms)",
        "naïf / nous",
        "mêmes",
    )
    lines = [head]
    for label, count, n_queries, ours, theirs, same in table:
        lines.append(
            (
                label,
                f"{count:,}".replace(",", "\u202f"),
                str(n_queries),
                f"{p(ours, 50):.1f}",
                f"{p(ours, 95):.1f}",
                f"{p(theirs, 50):.0f}" if theirs else "—",
                _ratio(p(theirs, 50) / p(ours, 50)) if theirs else "—",
                "—" if same is None else ("oui" if same else "NON"),
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
    worst = max(p(ours, 95) for _, _, _, ours, _, _ in table)
    if options.beneficiaries < GOAL_BENEFICIARIES or options.events < GOAL_EVENTS:
        verdict = "non évalué (moins de 200 000 personnes ou de 2 000 000 d'événements)"
    else:
        verdict = "atteint" if worst < GOAL_MS else "NON atteint"
    print(
        f"\n{options.runs} mesures par ligne (client de test Django, page entière), {options.naive_runs} pour "
        f"l'approche naïve. Objectif p95 < {GOAL_MS:.0f} ms : {verdict} (pire p95 : {worst:.1f} ms)."
    )
    if any(same is False for *_, same in table):
        sys.exit("Résultats différents entre les deux approches.")


if __name__ == "__main__":
    main()
