"""Every write of the partners app: organisations, their sites and contacts, services, partnerships.

Who may write is decided here too (``can_edit``): members of an organisation edit it and its
services; the coordinators of the territory edit everything in it.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.territory.models import QPV, Commune

from . import enums
from .data_inclusion import quality
from .models import Organisation, Partnership, Service, ServiceFacet, Site
from .siret import siret_error

STALE_AFTER = timedelta(days=183)  # six months


def can_edit(scope, organisation: Organisation) -> bool:
    if organisation.territory_id != (scope.territory.pk if scope.territory else None):
        return False
    if scope.is_platform_admin or scope.has_role("coordinator"):
        return True
    return any(m.organisation_id == organisation.pk for m in scope.memberships)


def check_can_edit(scope, organisation: Organisation) -> None:
    if not can_edit(scope, organisation):
        raise PermissionDenied(
            "Seuls les membres de cette organisation et la coordination peuvent la modifier."
        )


def locate(obj) -> None:
    """Set the QPV (and the commune when missing) of anything with coordinates, through the locator."""
    if obj.longitude is None or obj.latitude is None:
        obj.qpv = None
        return
    from cite_emploi.territory.locator import get_locator

    found = get_locator().locate(obj.longitude, obj.latitude)
    obj.qpv = QPV.objects.filter(code=found.qpv_code, geography_year=2024).first() if found.qpv_code else None
    if obj.commune_id is None and found.commune_code:
        obj.commune = Commune.objects.filter(code=found.commune_code).first()
    if obj.commune_id and not obj.commune_name:
        obj.commune_name = obj.commune.name


def validate_organisation(org: Organisation) -> None:
    if org.siret and (error := siret_error(org.siret)):
        raise ValidationError({"siret": error})
    unknown = set(org.networks) - {v for v, _ in enums.NETWORKS}
    if unknown:
        raise ValidationError({"networks": f"Réseaux inconnus : {', '.join(sorted(unknown))}."})


@transaction.atomic
def save_organisation(org: Organisation, *, by=None) -> Organisation:
    org.siret = org.siret.replace(" ", "")
    validate_organisation(org)
    locate(org)
    org.updated_on = timezone.localdate()
    creating = org.pk is None
    org.save()
    audit.record("create" if creating else "update", actor=by, obj=org, territory_id=org.territory_id)
    return org


@transaction.atomic
def save_site(site: Site, *, by=None) -> Site:
    locate(site)
    site.save()
    # A service delivered here is searched by this place's commune and QPV: keep its facets true.
    for service in site.services.select_related("commune", "qpv"):
        sync_facets(service)
    return site


def facets_for(service: Service) -> set[tuple[str, str]]:
    """The searchable values of a service and of the places it is delivered at."""
    F = ServiceFacet.Facet
    values = {(F.THEMATIQUE, t) for t in service.thematiques}
    values |= {(F.CATEGORY, enums.category_of(t)) for t in service.thematiques}
    values |= {(F.PUBLIC, p) for p in service.publics}
    values |= {(F.RECEPTION, m) for m in service.reception_modes}
    values |= {(F.MOBILISATION, m) for m in service.mobilisation_modes}
    values |= {(F.MOBILISABLE_BY, m) for m in service.mobilisable_by}
    values |= {(F.ZONE, z) for z in service.eligibility_zone}
    places = [service, *service.sites.all()] if service.pk else [service]
    for place in places:
        if place.commune_id:
            values.add((F.COMMUNE, place.commune.code))
        if place.qpv_id:
            values.add((F.QPV, place.qpv.code))
    return {(str(f), v) for f, v in values}


def sync_facets(service: Service) -> None:
    wanted = facets_for(service)
    have = set(service.facets.values_list("facet", "value"))
    ServiceFacet.objects.bulk_create(
        [ServiceFacet(service=service, facet=f, value=v) for f, v in wanted - have], batch_size=500
    )
    for f, v in have - wanted:
        service.facets.filter(facet=f, value=v).delete()


def validate_service(service: Service) -> None:
    allowed = {
        "thematiques": enums.THEMATIQUES,
        "publics": enums.PUBLICS,
        "reception_modes": enums.RECEPTION_MODES,
        "mobilisation_modes": enums.MOBILISATION_MODES,
        "mobilisable_by": enums.MOBILISABLE_BY,
    }
    errors = {}
    for field, choices in allowed.items():
        unknown = set(getattr(service, field)) - {v for v, _ in choices}
        if unknown:
            errors[field] = f"Valeurs inconnues : {', '.join(sorted(unknown))}."
    if enums.TOUS_PUBLICS in service.publics and len(service.publics) > 1:
        errors["publics"] = "« Tous publics » ne se combine pas avec d'autres publics."
    if service.type and service.type not in {v for v, _ in enums.SERVICE_TYPES}:
        errors["type"] = "Type de service inconnu."
    if service.fees and service.fees not in {v for v, _ in enums.FEES}:
        errors["fees"] = "Valeur de frais inconnue."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_service(service: Service, *, by=None, sites=None, touch: bool = True) -> Service:
    """Save a service with its facets and its official quality score; ``touch`` dates the update today."""
    validate_service(service)
    locate(service)
    if touch or service.updated_on is None:
        service.updated_on = timezone.localdate()
    service.quality_score, _ = quality(service)
    creating = service.pk is None
    if touch:
        service.confirmation_requested_at = None
    service.save()
    if sites is not None:
        service.sites.set(sites)
    sync_facets(service)
    audit.record(
        "create" if creating else "update",
        actor=by,
        obj=service,
        territory_id=service.organisation.territory_id,
    )
    return service


@transaction.atomic
def confirm_service(service: Service, *, by) -> Service:
    """The organisation says the service is still as described: its update date becomes today."""
    service.updated_on = timezone.localdate()
    service.confirmation_requested_at = None
    service.quality_score, _ = quality(service)
    service.save(update_fields=["updated_on", "confirmation_requested_at", "quality_score", "modified_at"])
    audit.record(
        "update", actor=by, obj=service, territory_id=service.organisation.territory_id, confirmed=True
    )
    return service


@transaction.atomic
def delete_service(service: Service, *, by) -> None:
    audit.record(
        "delete", actor=by, obj=service, territory_id=service.organisation.territory_id, name=service.name
    )
    service.delete()


def stale_before(today: date | None = None) -> date:
    return (today or timezone.localdate()) - STALE_AFTER


def request_confirmations(today: date | None = None) -> int:
    """Ask each organisation with services not updated for six months to confirm them, once.

    One e-mail per organisation to its active members, listing the services; returns the number sent.
    """
    stale = (
        Service.objects.filter(updated_on__lt=stale_before(today), confirmation_requested_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation_id", "name")
    )
    by_org: dict[int, list[Service]] = {}
    for service in stale:
        by_org.setdefault(service.organisation_id, []).append(service)
    sent = 0
    for services in by_org.values():
        org = services[0].organisation
        recipients = sorted(
            {
                m.user.email
                for m in org.memberships.filter(is_active=True, user__is_active=True).select_related("user")
            }
        )
        if not recipients:
            continue
        body = render_to_string(
            "partners/emails/confirm_services.txt",
            {"organisation": org, "services": services, "base_url": settings.SITE_URL},
        )
        send_mail(f"Vos services sont-ils à jour ? — {org.name}", body, None, recipients)
        Service.objects.filter(pk__in=[s.pk for s in services]).update(
            confirmation_requested_at=timezone.now()
        )
        sent += 1
    return sent


@transaction.atomic
def save_partnership(partnership: Partnership, *, by) -> Partnership:
    if partnership.source.territory_id != partnership.target.territory_id:
        raise ValidationError("Les deux organisations doivent appartenir au même territoire.")
    partnership.territory_id = partnership.source.territory_id
    partnership.created_by = partnership.created_by or by
    partnership.full_clean()
    partnership.save()
    audit.record("update", actor=by, obj=partnership, territory_id=partnership.territory_id)
    return partnership
