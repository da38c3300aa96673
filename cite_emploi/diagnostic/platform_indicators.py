"""Indicators computed from the platform's own records: follow-up, barriers, referrals, outcomes,
outreach, recruitment operations and the offer of services.

Each function receives a ``Context`` (indicators.py) and returns the finest cells of the requested
breakdowns; the registry adds the margins and applies statistical secrecy. Places are those of the
person (their commune and QPV as recorded in their file) for everything about people, and those of
the action for the aller-vers. Ages are taken at the end of the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from cite_emploi.followup import queries as followup_queries
from cite_emploi.followup.models import Barrier, FollowUp, Outcome, Referral
from cite_emploi.outreach.models import ActionOrigin, Interview, OutreachAction, ReachedCount
from cite_emploi.partners import enums
from cite_emploi.partners.models import Organisation, OrganisationKind, Service

from .indicators import Context, indicator
from .places import qpv_communes

PUBLIC = ("commune", "qpv", "age_group", "sex")
PLACES = ("commune", "qpv")
FOLLOW_UP = "Personnes suivies"
BARRIERS = "Freins périphériques"
REFERRALS = "Orientations entre structures"
OUTCOMES = "Sorties"
OUTREACH = "Aller-vers et recrutement"
OFFER = "Offre de services"
PLATFORM = "Plateforme Cité de l'emploi"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_group_at(birth_field: str, on: date):
    """The public (jeunes < 26, adultes 26–49, seniors ≥ 50) of a birth date, as an SQL expression."""
    return Case(
        When(**{f"{birth_field}__gt": years_before(on, 26)}, then=Value("jeunes")),
        When(**{f"{birth_field}__gt": years_before(on, 50)}, then=Value("adultes")),
        When(**{f"{birth_field}__isnull": False}, then=Value("seniors")),
        default=Value(""),
    )


def day_bounds(context: Context) -> tuple[datetime, datetime]:
    """The period as aware datetimes [start, end + 1 day[, in the platform's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(context.period.start, time.min, tzinfo=zone)
    end = datetime.combine(context.period.end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def person_fields(prefix: str, context: Context) -> dict:
    return {
        "commune": f"{prefix}commune__code",
        "qpv": f"{prefix}qpv__code",
        "age_group": age_group_at(f"{prefix}birth_date", context.period.end),
        "sex": f"{prefix}sex",
    }


def grouped(
    context: Context, qs: QuerySet, fields: dict, measure=None, commune_from_qpv: bool = False
) -> dict:
    """Counts (or sums) of ``qs`` by the context's breakdowns, keyed by the dimensions' values.

    ``fields`` maps each dimension to a field path or an expression. With ``commune_from_qpv``, a row
    without a commune is given its QPV's commune when that QPV lies in a single commune of the
    perimeter (an outreach action placed only by its quartier).
    """
    measure = measure if measure is not None else Count("pk")
    for dimension, code in context.where.items():
        if commune_from_qpv and dimension == "commune":
            single = [
                q
                for q, communes in qpv_communes(context.territory).items()
                if [c for c, _ in communes] == [code]
            ]
            qs = qs.filter(
                Q(**{fields["commune"]: code})
                | Q(**{f"{fields['commune']}__isnull": True, f"{fields['qpv']}__in": single})
            )
        else:
            qs = qs.filter(**{fields[dimension]: code})
    wanted = list(context.by)
    if commune_from_qpv and "commune" in wanted and "qpv" not in wanted:
        wanted.append("qpv")
    names = {d: f"k_{d}" for d in wanted}
    qs = qs.order_by()
    if not wanted:
        return {(): qs.aggregate(n=measure)["n"] or 0}
    annotations = {names[d]: (F(fields[d]) if isinstance(fields[d], str) else fields[d]) for d in wanted}
    rows = qs.annotate(**annotations).values(*names.values()).annotate(n=measure)
    single_commune = {}
    if commune_from_qpv:
        single_commune = {
            q: communes[0][0] for q, communes in qpv_communes(context.territory).items() if len(communes) == 1
        }
    result: dict[tuple, float] = defaultdict(float)
    for row in rows:
        raw = {d: row[names[d]] for d in wanted}
        if commune_from_qpv and "commune" in raw and not raw["commune"]:
            raw["commune"] = single_commune.get(raw.get("qpv") or "", "")
        key = tuple(context.bucket(d, raw[d]) for d in context.by)
        result[key] += row["n"] or 0
    return result


# --- personnes suivies --------------------------------------------------------------------------


def _follow_ups(context: Context) -> QuerySet:
    return FollowUp.objects.filter(beneficiary__territory=context.territory)


@indicator(
    code="beneficiaires_suivis",
    label="Personnes suivies",
    definition=(
        "Personnes dont le suivi partagé était ouvert à un moment de la période (entrée avant la fin "
        "de la période, sortie absente ou après son début). Commune et QPV du dossier ; âge à la fin de la période."
    ),
    unit="personnes",
    source=PLATFORM,
    breakdowns=PUBLIC,
    theme=FOLLOW_UP,
)
def beneficiaries_followed(context: Context):
    qs = (
        _follow_ups(context)
        .filter(opened_on__lte=context.period.end)
        .exclude(closed_on__lt=context.period.start)
    )
    return grouped(context, qs, person_fields("beneficiary__", context))


@indicator(
    code="entrees_suivi",
    label="Entrées dans le suivi",
    definition="Suivis partagés ouverts pendant la période (date d'entrée dans le suivi).",
    unit="personnes",
    source=PLATFORM,
    breakdowns=PUBLIC,
    theme=FOLLOW_UP,
)
def follow_ups_opened(context: Context):
    qs = _follow_ups(context).filter(opened_on__range=(context.period.start, context.period.end))
    return grouped(context, qs, person_fields("beneficiary__", context))


# --- freins -------------------------------------------------------------------------------------

CATEGORY = {"category": enums.CATEGORIES}


def _barrier_fields(context: Context) -> dict:
    return {**person_fields("follow_up__beneficiary__", context), "category": "category"}


def _barriers(context: Context) -> QuerySet:
    return Barrier.objects.filter(follow_up__beneficiary__territory=context.territory)


@indicator(
    code="freins_identifies",
    label="Freins identifiés",
    definition=(
        "Freins périphériques à l'emploi identifiés pendant la période chez les personnes suivies, "
        "par catégorie data·inclusion. Une personne peut en avoir plusieurs : on compte des freins."
    ),
    unit="freins",
    source=PLATFORM,
    breakdowns=(*PUBLIC, "category"),
    dimensions=CATEGORY,
    theme=BARRIERS,
)
def barriers_identified(context: Context):
    qs = _barriers(context).filter(identified_on__range=(context.period.start, context.period.end))
    return grouped(context, qs, _barrier_fields(context))


@indicator(
    code="freins_leves",
    label="Freins levés",
    definition="Freins dont le statut est passé à « levé » pendant la période.",
    unit="freins",
    source=PLATFORM,
    breakdowns=(*PUBLIC, "category"),
    dimensions=CATEGORY,
    theme=BARRIERS,
)
def barriers_lifted(context: Context):
    period = context.period
    qs = followup_queries.barriers_moved_to(
        _barriers(context), Barrier.Status.LIFTED, period.start, period.end
    )
    return grouped(context, qs, _barrier_fields(context))


@indicator(
    code="freins_a_lever",
    label="Freins restant à lever",
    definition=(
        "Freins identifiés au plus tard à la fin de la période et dont le statut, ce jour-là, était "
        "« identifié » ou « en cours de levée » (d'après l'historique des statuts)."
    ),
    unit="freins",
    source=PLATFORM,
    breakdowns=(*PUBLIC, "category"),
    dimensions=CATEGORY,
    theme=BARRIERS,
)
def barriers_open(context: Context):
    to_lift = (Barrier.Status.IDENTIFIED, Barrier.Status.IN_PROGRESS)
    qs = followup_queries.barriers_in_status_on(_barriers(context), to_lift, context.period.end)
    return grouped(context, qs, _barrier_fields(context))


# --- orientations -------------------------------------------------------------------------------


def _referrals(context: Context) -> QuerySet:
    return Referral.objects.filter(follow_up__beneficiary__territory=context.territory)


@indicator(
    code="orientations",
    label="Orientations envoyées",
    definition=(
        "Orientations vers le service d'une autre structure envoyées pendant la période, par statut actuel "
        "et par catégorie du frein qu'elles visent (« non précisé » quand l'orientation ne vise aucun frein)."
    ),
    unit="orientations",
    source=PLATFORM,
    breakdowns=(*PUBLIC, "status", "category"),
    dimensions={
        "status": [c for c in Referral.Status.choices if c[0] != Referral.Status.DRAFT],
        "category": [*enums.CATEGORIES, ("", "Non précisé")],
    },
    theme=REFERRALS,
)
def referrals_sent(context: Context):
    start, end = day_bounds(context)
    qs = _referrals(context).filter(sent_at__gte=start, sent_at__lt=end)
    fields = {
        **person_fields("follow_up__beneficiary__", context),
        "status": "status",
        "category": "barrier__category",
    }
    return grouped(context, qs, fields)


@indicator(
    code="delai_reponse_orientations",
    label="Délai médian de réponse aux orientations",
    definition=(
        "Médiane, en jours, du temps entre l'envoi d'une orientation et la réponse de la structure "
        "(acceptation ou refus), pour les orientations auxquelles il a été répondu pendant la période. "
        "Non diffusé quand moins de personnes que le seuil de secret statistique sont concernées."
    ),
    unit="jours",
    source=PLATFORM,
    breakdowns=PLACES,
    kind="median",
    theme=REFERRALS,
)
def referral_answer_time(context: Context):
    start, end = day_bounds(context)
    qs = _referrals(context).filter(answered_at__gte=start, answered_at__lt=end, sent_at__isnull=False)
    fields = {"commune": "follow_up__beneficiary__commune__code", "qpv": "follow_up__beneficiary__qpv__code"}
    for dimension, code in context.where.items():
        qs = qs.filter(**{fields[dimension]: code})
    columns = [fields[d] for d in context.by]
    samples = []
    for row in qs.order_by().values_list("sent_at", "answered_at", *columns):
        days = (row[1] - row[0]).total_seconds() / 86400
        key = tuple(context.bucket(d, value) for d, value in zip(context.by, row[2:], strict=True))
        samples.append((key, days))
    return samples


# --- sorties ------------------------------------------------------------------------------------


@indicator(
    code="sorties",
    label="Sorties vers l'emploi, la formation ou la création",
    definition="Sorties enregistrées dans les suivis, datées dans la période, par nature.",
    unit="sorties",
    source=PLATFORM,
    breakdowns=(*PUBLIC, "kind"),
    dimensions={"kind": Outcome.Kind.choices},
    theme=OUTCOMES,
)
def outcomes(context: Context):
    qs = Outcome.objects.filter(
        follow_up__beneficiary__territory=context.territory,
        occurred_on__range=(context.period.start, context.period.end),
    )
    return grouped(context, qs, {**person_fields("follow_up__beneficiary__", context), "kind": "kind"})


# --- aller-vers et recrutement ------------------------------------------------------------------


def _held(context: Context, prefix: str = "") -> Q:
    start, end = day_bounds(context)
    return Q(
        **{
            f"{prefix}territory": context.territory,
            f"{prefix}status": OutreachAction.Status.DONE,
            f"{prefix}starts_at__gte": start,
            f"{prefix}starts_at__lt": end,
        }
    )


def _action_places(prefix: str = "") -> dict:
    return {"commune": f"{prefix}commune__code", "qpv": f"{prefix}qpv__code"}


@indicator(
    code="actions_aller_vers",
    label="Actions d'aller-vers réalisées",
    definition=(
        "Permanences et actions dans les quartiers réalisées pendant la période, au lieu de l'action "
        "(une action placée seulement par son quartier compte dans la commune de ce quartier s'il n'en a qu'une)."
    ),
    unit="actions",
    source=PLATFORM,
    breakdowns=PLACES,
    people=False,
    theme=OUTREACH,
)
def outreach_actions(context: Context):
    qs = OutreachAction.objects.filter(_held(context))
    return grouped(context, qs, _action_places(), commune_from_qpv=True)


@indicator(
    code="personnes_rencontrees",
    label="Personnes rencontrées en aller-vers",
    definition=(
        "Personnes rencontrées lors des actions d'aller-vers réalisées pendant la période, comptées sans "
        "nom au bilan de chaque action (une personne vue deux fois compte deux fois)."
    ),
    unit="personnes",
    source=PLATFORM,
    breakdowns=PUBLIC,
    theme=OUTREACH,
)
def people_reached(context: Context):
    qs = ReachedCount.objects.filter(_held(context, "action__"))
    fields = {**_action_places("action__"), "age_group": "age_group", "sex": "sex"}
    return grouped(context, qs, fields, measure=Sum("count"), commune_from_qpv=True)


@indicator(
    code="accompagnements_aller_vers",
    label="Accompagnements issus de l'aller-vers",
    definition="Suivis partagés commencés à partir d'une action d'aller-vers réalisée pendant la période.",
    unit="personnes",
    source=PLATFORM,
    breakdowns=PLACES,
    theme=OUTREACH,
)
def follow_ups_from_outreach(context: Context):
    qs = ActionOrigin.objects.filter(_held(context, "action__"))
    return grouped(context, qs, _action_places("action__"), commune_from_qpv=True)


@indicator(
    code="recrutements_operations",
    label="Recrutements lors des opérations de recrutement",
    definition=(
        "Candidats recrutés à l'issue d'un entretien d'une opération de recrutement (job dating, forum…), "
        "date d'embauche dans la période. Commune et QPV de la personne."
    ),
    unit="personnes",
    source=PLATFORM,
    breakdowns=PUBLIC,
    theme=OUTREACH,
)
def hires(context: Context):
    qs = Interview.objects.filter(
        candidate__event__territory=context.territory,
        result=Interview.Result.HIRED,
        hired_on__range=(context.period.start, context.period.end),
    )
    return grouped(context, qs, person_fields("candidate__follow_up__beneficiary__", context))


# --- offre de services ----------------------------------------------------------------------------


def _coverage_by_qpv(context: Context):
    """Per QPV of the perimeter: the ids of the services its residents can use (coverage.py's three rules)."""
    from cite_emploi.partners.queries import coverage_matrix

    matrix = coverage_matrix(context.territory)
    reach = None
    for rule in matrix.rules.values():
        reach = rule if reach is None else (reach | rule)
    result = {}
    for index, row in enumerate(matrix.rows):
        ids = set() if reach is None else {int(matrix.service_ids[i]) for i in reach[:, index].nonzero()[0]}
        result[row.qpv_code] = ids
    return result


def _by_qpv(context: Context, measure) -> dict:
    reach = _coverage_by_qpv(context)
    everything = measure(set().union(*reach.values()) if reach else set(), total=True)
    if "qpv" in context.where:
        everything = measure(reach.get(context.where["qpv"], set()))
    if not context.by:
        return {(): everything}
    result = {(None,): everything}
    for code, _ in context.values["qpv"]:
        result[(code,)] = measure(reach.get(code, set())) if code else None
    return result


@indicator(
    code="services_accessibles",
    label="Services accessibles",
    definition=(
        "Services du recensement qu'une personne du quartier peut utiliser : délivrés dans le QPV, à distance "
        "de marche de son contour ou ouverts à sa commune par leur zone d'éligibilité. Pour le territoire : "
        "les services accessibles depuis au moins un QPV du périmètre."
    ),
    unit="services",
    source="Recensement de l'offre de services (plateforme, data·inclusion)",
    breakdowns=("qpv",),
    kind="values",
    people=False,
    theme=OFFER,
)
def services_reachable(context: Context):
    return _by_qpv(context, lambda ids, total=False: len(ids))


@indicator(
    code="partenaires_mobilisables",
    label="Partenaires mobilisables",
    definition="Structures ayant au moins un service accessible depuis le quartier (même règle que les services accessibles).",
    unit="structures",
    source="Cartographie des partenaires (plateforme)",
    breakdowns=("qpv",),
    kind="values",
    people=False,
    theme=OFFER,
)
def partners_reachable(context: Context):
    reach = _coverage_by_qpv(context)
    everything = set().union(*reach.values()) if reach else set()
    organisation_of = dict(
        Service.objects.filter(pk__in=list(everything)).values_list("pk", "organisation_id")
    )
    return _by_qpv(
        context, lambda ids, total=False: len({organisation_of[i] for i in ids if i in organisation_of})
    )


@indicator(
    code="services_par_categorie",
    label="Services recensés par catégorie",
    definition=(
        "Services des structures du territoire ayant au moins une thématique de la catégorie data·inclusion. "
        "Un service de plusieurs catégories compte dans chacune ; le total compte chaque service une fois."
    ),
    unit="services",
    source="Recensement de l'offre de services (plateforme, data·inclusion)",
    breakdowns=("category",),
    kind="values",
    people=False,
    dimensions=CATEGORY,
    theme=OFFER,
)
def services_by_category(context: Context):
    from cite_emploi.partners.models import ServiceFacet

    services = Service.objects.in_territory(context.territory)
    result = {(): services.count()} if not context.by else {(None,): services.count()}
    if context.by:
        counts = dict(
            ServiceFacet.objects.filter(service__in=services.values("pk"), facet=ServiceFacet.Facet.CATEGORY)
            .order_by()
            .values("value")
            .annotate(n=Count("service", distinct=True))
            .values_list("value", "n")
        )
        for code, _ in context.values["category"]:
            result[(code,)] = counts.get(code, 0)
    return result


@indicator(
    code="partenaires_par_nature",
    label="Partenaires par nature",
    definition="Structures de la cartographie des partenaires du territoire, par nature (France Travail, Mission locale, association…).",
    unit="structures",
    source="Cartographie des partenaires (plateforme)",
    breakdowns=("kind",),
    people=False,
    dimensions={"kind": OrganisationKind.choices},
    theme=OFFER,
)
def partners_by_kind(context: Context):
    qs = Organisation.objects.in_territory(context.territory)
    if not context.by:
        return {(): qs.count()}
    return {(kind,): n for kind, n in qs.order_by().values_list("kind").annotate(n=Count("pk"))}
