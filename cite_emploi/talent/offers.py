"""Writing a job offer: the one place that does it, for the employer's pages, recruitment events and
the demo.

An offer is placed at its commune's centre (``territory.centres``) so matching can compute distances;
its ROME code is copied from the appellation so that matching reads one index.
"""

from django.db import transaction

from cite_emploi.core import audit
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.territory.centres import commune_centre

from .models import Contract, JobOffer
from .text import clean_terms

FIELDS = (
    "title",
    "appellation",
    "contract",
    "hours_per_week",
    "posts",
    "description",
    "skills",
    "commune",
    "starts_on",
    "status",
)
MAX_HOURS = 48  # the legal weekly maximum (Code du travail, L3121-20)


class OfferError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check(data: dict) -> None:
    if not (data.get("title") or "").strip():
        raise OfferError("Donnez un intitulé à l'offre.")
    if data.get("appellation") is None:
        raise OfferError("Choisissez le métier dans le référentiel ROME.")
    if data.get("contract") not in Contract.values:
        raise OfferError(f"Type de contrat inconnu ; attendu : {', '.join(Contract.labels)}.")
    hours = data.get("hours_per_week")
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise OfferError(f"La durée hebdomadaire doit être comprise entre 1 et {MAX_HOURS} heures.")
    posts = data.get("posts", 1)
    if posts is not None and not 1 <= posts <= 500:
        raise OfferError("Le nombre de postes doit être compris entre 1 et 500.")


def fill_derived(offer: JobOffer) -> JobOffer:
    """The ROME code and the point of an offer follow from its appellation and its commune."""
    offer.rome_code = offer.appellation.occupation.code
    centre = commune_centre(offer.commune)
    offer.latitude, offer.longitude = centre if centre else (None, None)
    return offer


@transaction.atomic
def save_offer(*, organisation, by, data: dict, offer: JobOffer | None = None, request=None) -> JobOffer:
    """Create (``offer=None``) or update an offer of ``organisation``; ``data`` holds the ``FIELDS`` to set.

    Only an employer organisation publishes offers: the offer is what the employer recruits for.
    """
    if organisation.kind != OrganisationKind.EMPLOYER:
        raise OfferError("Seule une organisation de type « Employeur » peut publier une offre d'emploi.")
    values = {key: data[key] for key in FIELDS if key in data}
    if offer is not None:
        merged = {key: getattr(offer, key) for key in FIELDS} | values
    else:
        merged = {"posts": 1, "status": JobOffer.Status.OPEN} | values
    _check(merged)
    merged["title"] = merged["title"].strip()[:200]
    merged["skills"] = clean_terms(merged.get("skills"))
    merged["description"] = (merged.get("description") or "").strip()
    if offer is None:
        offer = JobOffer(territory=organisation.territory, organisation=organisation, created_by=by)
    for key, value in merged.items():
        setattr(offer, key, value)
    fill_derived(offer)
    created = offer.pk is None
    offer.save()
    audit.record(
        "create" if created else "update",
        actor=by,
        obj=offer,
        territory_id=offer.territory_id,
        request=request,
        what="offre d'emploi",
    )
    return offer
