"""Pages of the partner census: organisations, their sites, contacts, partnerships and services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role

from . import enums, queries, services
from .data_inclusion import quality
from .forms import ContactForm, OrganisationForm, PartnershipForm, ServiceForm, SiteForm
from .models import Organisation, OrganisationKind, Service

READERS = ("coordinator", "counsellor", "elected", "funder")


def beneficiary_param(request) -> int | None:
    """The person a counsellor is looking for a service for (``?beneficiary=``), carried from the
    beneficiary's page through the catalogue to the referral form, which checks access to them."""
    value = request.GET.get("beneficiary", "")
    return int(value) if value.isdigit() else None


def _form_errors_from(error: ValidationError, form) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _editable_organisation(request, pk) -> Organisation:
    org = queries.get_organisation(request.scope.territory, pk)
    services.check_can_edit(request.scope, org)
    return org


@require_role(*READERS)
def organisation_list(request):
    kind = request.GET.get("nature", "")
    q = request.GET.get("q", "").strip()[:100]
    orgs = queries.organisation_list(request.scope.territory, kind=kind, q=q)
    return render(
        request,
        "partners/organisation_list.html",
        {
            "title": "Partenaires",
            "organisations": orgs,
            "kinds": OrganisationKind.choices,
            "kind": kind,
            "q": q,
            "can_create": request.scope.has_role("coordinator") or request.scope.is_platform_admin,
        },
    )


@require_role(*READERS)
def organisation_detail(request, pk):
    org = queries.get_organisation(request.scope.territory, pk)
    return render(
        request,
        "partners/organisation_detail.html",
        {
            "title": org.name,
            "org": org,
            "services": queries.organisation_services(org),
            "sites": org.sites.select_related("commune", "qpv"),
            "contacts": org.contacts.all(),
            "partnerships": queries.organisation_partnerships(org),
            "network_labels": [enums.label(n) for n in org.networks],
            "public_labels": [enums.label(p) for p in org.publics],
            "can_edit": services.can_edit(request.scope, org),
            "stale_before": services.stale_before(),
        },
    )


def _save_organisation_form(request, form, org):
    if form.is_valid():
        try:
            org = services.save_organisation(form.save(commit=False), by=request.user)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, "Organisation enregistrée.")
            return redirect("partners:organisation", org.pk)
    return None


@require_role("coordinator")
def organisation_create(request):
    territory = request.scope.territory
    org = Organisation(territory=territory)
    form = OrganisationForm(request.POST or None, instance=org, territory=territory)
    if request.method == "POST" and (done := _save_organisation_form(request, form, org)):
        return done
    return render(
        request, "partners/organisation_form.html", {"form": form, "title": "Nouvelle organisation"}
    )


@require_role(*READERS)
def organisation_edit(request, pk):
    org = _editable_organisation(request, pk)
    form = OrganisationForm(request.POST or None, instance=org, territory=org.territory)
    if request.method == "POST" and (done := _save_organisation_form(request, form, org)):
        return done
    return render(
        request,
        "partners/organisation_form.html",
        {"form": form, "org": org, "title": f"Modifier {org.name}"},
    )


@require_role(*READERS)
def site_create(request, pk):
    org = _editable_organisation(request, pk)
    form = SiteForm(request.POST or None, territory=org.territory)
    if request.method == "POST" and form.is_valid():
        site = form.save(commit=False)
        site.organisation = org
        services.save_site(site, by=request.user)
        messages.success(request, "Lieu d'accueil ajouté.")
        return redirect("partners:organisation", org.pk)
    return render(
        request, "partners/simple_form.html", {"form": form, "org": org, "title": "Nouveau lieu d'accueil"}
    )


@require_role(*READERS)
def contact_create(request, pk):
    org = _editable_organisation(request, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.save(commit=False)
        contact.organisation = org
        contact.save()
        messages.success(request, "Contact ajouté.")
        return redirect("partners:organisation", org.pk)
    return render(
        request, "partners/simple_form.html", {"form": form, "org": org, "title": "Nouveau contact"}
    )


@require_role(*READERS)
def partnership_create(request, pk):
    org = _editable_organisation(request, pk)
    form = PartnershipForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        partnership = form.save(commit=False)
        partnership.source = org
        try:
            services.save_partnership(partnership, by=request.user)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, "Partenariat enregistré.")
            return redirect("partners:organisation", org.pk)
    return render(
        request, "partners/simple_form.html", {"form": form, "org": org, "title": "Nouveau partenariat"}
    )


@require_role(*READERS)
def service_detail(request, pk):
    service = queries.get_service(request.scope.territory, pk)
    score, advice = quality(service)
    return render(
        request,
        "partners/service_detail.html",
        {
            "title": service.name,
            "service": service,
            "org": service.organisation,
            "score": score,
            "advice": advice,
            "is_stale": queries.is_stale(service),
            "can_edit": services.can_edit(request.scope, service.organisation),
            # Counsellors orient people from here (the referral form checks the person's follow-up).
            "can_orient": request.scope.has_role("coordinator", "counsellor"),
            "for_beneficiary": beneficiary_param(request),
            "labels": {
                "type": enums.label(service.type) if service.type else "",
                "fees": enums.label(service.fees) if service.fees else "",
                "thematiques": [enums.label(t) for t in service.thematiques],
                "publics": [enums.label(p) for p in service.publics],
                "reception_modes": [enums.label(m) for m in service.reception_modes],
                "mobilisation_modes": [enums.label(m) for m in service.mobilisation_modes],
                "mobilisable_by": [enums.label(m) for m in service.mobilisable_by],
            },
        },
    )


def _service_form_page(request, form, org, service, title):
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        try:
            instance = services.save_service(instance, by=request.user, sites=form.cleaned_data["sites"])
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, "Service enregistré.")
            return redirect("partners:service", instance.pk)
    return render(
        request, "partners/service_form.html", {"form": form, "org": org, "service": service, "title": title}
    )


@require_role(*READERS)
def service_create(request, pk):
    org = _editable_organisation(request, pk)
    service = Service(organisation=org)
    form = ServiceForm(request.POST or None, instance=service, organisation=org)
    return _service_form_page(request, form, org, None, "Nouveau service")


@require_role(*READERS)
def service_edit(request, pk):
    service = queries.get_service(request.scope.territory, pk)
    services.check_can_edit(request.scope, service.organisation)
    form = ServiceForm(request.POST or None, instance=service, organisation=service.organisation)
    return _service_form_page(request, form, service.organisation, service, f"Modifier {service.name}")


@require_role(*READERS)
@require_POST
def service_confirm(request, pk):
    service = queries.get_service(request.scope.territory, pk)
    services.check_can_edit(request.scope, service.organisation)
    services.confirm_service(service, by=request.user)
    messages.success(request, "Merci : le service est confirmé à jour.")
    return redirect("partners:service", service.pk)


@require_role(*READERS)
def service_delete(request, pk):
    service = queries.get_service(request.scope.territory, pk)
    if not services.can_edit(request.scope, service.organisation):
        raise PermissionDenied(
            "Seuls les membres de cette organisation et la coordination peuvent la modifier."
        )
    if request.method == "POST":
        org_pk = service.organisation_id
        services.delete_service(service, by=request.user)
        messages.success(request, "Service supprimé.")
        return redirect("partners:organisation", org_pk)
    return render(
        request, "partners/service_delete.html", {"service": service, "title": "Supprimer un service"}
    )
