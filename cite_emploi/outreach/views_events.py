"""Pages of recruitment events (opérations de recrutement), under /aller-vers/operations/.

Thin: parse the request, call ``events`` or ``queries_events``, render. An event outside what the
user may read is a 404; so is a candidate the user neither follows nor organises. Professionals and
employers read different templates: the employer's never receives a person's record. The
registration page, its thanks page and the ROME suggestions are public.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.person_panels import Panel
from cite_emploi.followup import services as followup
from cite_emploi.followup.queries import appellation_rows, search_appellations
from cite_emploi.partners.directory import safe_cell

from . import events
from . import queries_events as queries
from .forms_events import (
    CandidateForm,
    DeclineForm,
    EventForm,
    InterviewForm,
    InviteForm,
    JoinForm,
    OfferAddForm,
    PeriodForm,
    RegistrationForm,
    offer_formset,
)
from .models import EventEmployer, Interview, RecruitmentKind

PROFESSIONALS = queries.PROFESSIONALS
READERS = (*PROFESSIONALS, "employer")
PAGE_SIZE = 20
EVENT_FIELDS = events.EVENT_FIELDS


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


# --- list ---------------------------------------------------------------------------------------


@require_role(*READERS)
def event_list(request):
    scope = request.scope
    past = request.GET.get("quand") == "passees"
    kind = request.GET.get("nature", "")
    if kind not in RecruitmentKind.values:
        kind = ""
    page = Paginator(queries.event_list(scope, past=past, kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    professional = queries.is_professional(scope)
    return render(
        request,
        "outreach/events/list.html",
        {
            "title": "Opérations de recrutement",
            "page_obj": page,
            "past": past,
            "kind": kind,
            "kinds": RecruitmentKind.choices,
            "filters": urlencode(
                [(k, v) for k, v in (("quand", "passees" if past else ""), ("nature", kind)) if v]
            ),
            "professional": professional,
            "current": "events",
        },
    )


# --- an event's page ----------------------------------------------------------------------------


@require_role(*READERS)
def event_detail(request, pk):
    event = queries.get_event(request.scope, pk)
    if queries.is_professional(request.scope):
        return _professional_page(request, event)
    return _employer_page(request, event)


def _professional_page(request, event, status: int = 200):
    scope = request.scope
    lines = queries.candidate_lines(event, scope)
    followup.audit_list_read(
        [line.candidate.follow_up.beneficiary for line in lines if line.visible],
        by=request.user,
        request=request,
        what="opération de recrutement (candidats)",
    )
    manager = events.can_manage(event, request.user)
    return render(
        request,
        "outreach/events/detail.html",
        {
            "title": event.title,
            "event": event,
            "organisers": list(event.organisers.order_by("name")),
            "registrations": list(queries.registrations(event)),
            "offers": list(queries.presented_offers(event)),
            "lines": lines,
            "hidden_count": sum(1 for line in lines if not line.visible),
            "figures": queries.event_figures(event),
            "manager": manager,
            "can_invite": queries.invitable(scope, event).exists(),
            "closed_reason": events.registration_closed_reason(event),
            "register_url": request.build_absolute_uri(reverse("outreach:event_register", args=[event.pk])),
            "decline_form": DeclineForm(),
            "current": "events",
        },
        status=status,
    )


def _join_form(request, event, data=None):
    organisations = queries.employer_organisations(request.scope)
    offers = queries.open_offers_of([o.pk for o in organisations])
    return JoinForm(data, organisations=organisations, offers=offers)


def _employer_page(request, event):
    org_ids = queries.employer_organisation_ids(request.scope)
    mine = list(queries.registrations(event, org_ids))
    confirmed = any(r.status == EventEmployer.Status.CONFIRMED for r in mine)
    closed_reason = events.registration_closed_reason(event)
    return render(
        request,
        "outreach/events/detail_employer.html",
        {
            "title": event.title,
            "event": event,
            "organisers": list(event.organisers.order_by("name")),
            "registrations": mine,
            "my_offers": [presented for r in mine for presented in r.event_offers.all()],
            "confirmed": confirmed,
            "candidates": queries.employer_candidates(event, org_ids) if confirmed else [],
            "closed_reason": closed_reason,
            "join_form": _join_form(request, event) if not mine and not closed_reason else None,
            "current": "events",
        },
    )


@require_role("employer")
@require_POST
def event_join(request, pk):
    """A signed-in employer registers their organisation (pending until an organiser confirms)."""
    event = queries.get_event(request.scope, pk)
    form = _join_form(request, event, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("outreach:event", event.pk)
    try:
        events.register_organisation(
            event,
            form.cleaned_data["organisation"],
            by=request.user,
            contact_phone=form.cleaned_data["contact_phone"],
            offers=form.cleaned_data["offers"],
            request=request,
        )
    except events.EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Inscription enregistrée : les organisateurs la confirment et vous préviennent par courriel.",
        )
    return redirect("outreach:event", event.pk)


# --- create and edit ----------------------------------------------------------------------------


def _event_form_page(request, form, event=None):
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data[key] for key in EVENT_FIELDS if key in form.cleaned_data}
        organisers = form.cleaned_data["organisers"]
        try:
            if event is None:
                event = events.create_event(
                    request.scope.territory,
                    by=request.user,
                    data=data,
                    organisers=organisers,
                    request=request,
                )
            else:
                events.update_event(event, by=request.user, data=data, organisers=organisers, request=request)
        except events.EventError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Opération enregistrée.")
            return redirect("outreach:event", event.pk)
    return render(
        request,
        "outreach/events/form.html",
        {
            "title": f"Modifier « {event.title} »" if event else "Nouvelle opération de recrutement",
            "form": form,
            "event": event,
            "current": "events",
        },
    )


@require_role(*PROFESSIONALS)
def event_create(request):
    scope = request.scope
    mine = [m.organisation_id for m in scope.memberships if m.role in PROFESSIONALS]
    form = EventForm(request.POST or None, territory=scope.territory, initial={"organisers": mine})
    return _event_form_page(request, form)


@require_role(*PROFESSIONALS)
def event_edit(request, pk):
    event = queries.get_event(request.scope, pk)
    if not events.can_manage(event, request.user):
        raise PermissionDenied(
            "Seules la coordination et les organisations organisatrices modifient l'opération."
        )
    form = EventForm(request.POST or None, territory=request.scope.territory, event=event)
    return _event_form_page(request, form, event)


# --- public registration ------------------------------------------------------------------------


def event_register(request, pk):
    """The public registration page of employers; a signed-in user only sees their territory's events."""
    event = queries.public_event(pk)
    if request.user.is_authenticated:
        territory = request.scope.territory
        if territory is not None and territory.pk != event.territory_id:
            raise Http404("Opération introuvable.")
    closed_reason = events.registration_closed_reason(event)
    data = request.POST if request.method == "POST" and not closed_reason else None
    form, offers = RegistrationForm(data), offer_formset(data)
    if data is not None:
        if form.is_robot:
            return redirect("outreach:event_register_done")
        if form.is_valid() and offers.is_valid():
            try:
                events.register_employer(
                    event,
                    company_name=form.cleaned_data["company_name"],
                    siret=form.cleaned_data["siret"],
                    contact_name=form.cleaned_data["contact_name"],
                    contact_email=form.cleaned_data["contact_email"],
                    contact_phone=form.cleaned_data["contact_phone"],
                    offers=offers.offers(),
                    request=request,
                )
            except events.EventError as error:
                form.add_error(None, error.message)
            else:
                return redirect("outreach:event_register_done")
    return render(
        request,
        "outreach/events/register.html",
        {
            "title": f"Inscription des employeurs — {event.title}",
            "event": event,
            "closed_reason": closed_reason,
            "form": form,
            "offers": offers,
            "signed_in_employer": request.user.is_authenticated and request.scope.has_role("employer"),
        },
    )


def event_register_done(request):
    return render(request, "outreach/events/register_done.html", {"title": "Inscription envoyée"})


def event_rome_search(request):
    """ROME titles for the suggestions of the offer fields (public: reference data, nothing personal)."""
    q = request.GET.get("q", "")
    if not q:
        q = next((v for k, v in request.GET.items() if k.endswith("appellation")), "")
    found = search_appellations(q.strip()[:100]) if q.strip() else []
    if request.htmx:
        return render(request, "outreach/events/rome_options.html", {"found": found})
    return JsonResponse({"resultats": appellation_rows(found)})


# --- employers' registrations and offers --------------------------------------------------------


def _registration(request, pk, employer_pk):
    event = queries.get_event(request.scope, pk)
    return get_object_or_404(event.employers.select_related("event", "organisation"), pk=employer_pk)


@require_role(*PROFESSIONALS)
@require_POST
def event_employer_confirm(request, pk, employer_pk):
    registration = _registration(request, pk, employer_pk)
    try:
        events.confirm_employer(registration, by=request.user, request=request)
    except events.EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Participation de « {registration.company_name} » confirmée : ses offres sont présentées "
            "et son contact est prévenu par courriel.",
        )
    return redirect("outreach:event", pk)


@require_role(*PROFESSIONALS)
@require_POST
def event_employer_decline(request, pk, employer_pk):
    registration = _registration(request, pk, employer_pk)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        events.decline_employer(registration, by=request.user, reason=reason, request=request)
    except events.EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Inscription de « {registration.company_name} » refusée ; son contact est prévenu."
        )
    return redirect("outreach:event", pk)


@require_role(*READERS)
def event_offer_add(request, pk):
    scope = request.scope
    event = queries.get_event(scope, pk)
    registrations = queries.confirmed_employers(event)
    if queries.is_professional(scope):
        if not events.can_manage(event, request.user):
            raise PermissionDenied("Seuls les organisateurs ajoutent des offres à l'opération.")
    else:
        registrations = registrations.filter(organisation__in=queries.employer_organisation_ids(scope))
        if not registrations.exists():
            raise PermissionDenied("Votre participation à cette opération doit d'abord être confirmée.")
    choices = list(registrations)
    registration = next((r for r in choices if r.pk == _int(request.GET.get("employeur"))), None)
    if registration is None and len(choices) == 1:
        registration = choices[0]
    existing = queries.addable_offers(registration) if registration else None
    form = OfferAddForm(
        request.POST or None, registrations=registrations, registration=registration, existing=existing
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("existing")
        try:
            presented = events.add_offer(
                form.cleaned_data["employer"],
                by=request.user,
                data=None if chosen else form.offer_data(),
                offer=chosen,
                request=request,
            )
        except events.EventError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"L'offre « {presented.offer.title} » est présentée à l'opération.")
            return redirect("outreach:event", event.pk)
    return render(
        request,
        "outreach/events/offer_form.html",
        {
            "title": "Présenter une offre",
            "event": event,
            "form": form,
            "choices": choices if registration is None else [],
            "registration": registration,
            "current": "events",
        },
    )


# --- candidates and interviews ------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def event_invite(request, pk):
    scope = request.scope
    event = queries.get_event(scope, pk)
    beneficiaries = queries.invitable(scope, event)
    form = InviteForm(
        request.POST or None,
        beneficiaries=beneficiaries,
        initial={"beneficiary": _int(request.GET.get("personne"))},
    )
    if request.method == "POST" and form.is_valid():
        beneficiary = form.cleaned_data["beneficiary"]
        try:
            events.invite_candidate(
                event,
                beneficiary.follow_up,
                by=request.user,
                prepared=form.cleaned_data["prepared"],
                preparation=form.cleaned_data["preparation"],
                request=request,
            )
        except events.EventError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{beneficiary} est invité·e à l'opération.")
            return redirect("outreach:event", event.pk)
    return render(
        request,
        "outreach/events/invite.html",
        {"title": "Inviter une personne", "event": event, "form": form, "current": "events"},
    )


def _candidate(request, pk, candidate_pk):
    """The event, the candidate, whether the user belongs to their follow-up, and their label."""
    scope = request.scope
    event = queries.get_event(scope, pk)
    manager = events.can_manage(event, request.user)
    candidate = queries.get_candidate(event, scope, candidate_pk, manager=manager)
    member = followup.member_of(candidate.follow_up, request.user) is not None
    beneficiary = candidate.follow_up.beneficiary
    visible = member and beneficiary.anonymised_at is None
    label = str(beneficiary) if visible else f"Candidat n° {queries.candidate_number(candidate)}"
    if visible:
        followup.audit_beneficiary(
            "read", beneficiary, by=request.user, what="opération de recrutement (candidat)", request=request
        )
    return event, candidate, member, label


@require_role(*PROFESSIONALS)
def event_candidate(request, pk, candidate_pk):
    event, candidate, member, label = _candidate(request, pk, candidate_pk)
    form = CandidateForm(request.POST or None, candidate=candidate, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            events.update_candidate(
                candidate,
                by=request.user,
                status=form.cleaned_data["status"],
                prepared=form.cleaned_data["prepared"] if member else None,
                preparation=form.cleaned_data["preparation"] if member else None,
                request=request,
            )
        except events.EventError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Candidature mise à jour.")
            return redirect("outreach:event", event.pk)
    return render(
        request,
        "outreach/events/candidate.html",
        {
            "title": label,
            "event": event,
            "candidate": candidate,
            "label": label,
            "member": member,
            "form": form,
            "interviews": list(queries.interviews_of(candidate)),
            "current": "events",
        },
    )


@require_role(*PROFESSIONALS)
def event_interview(request, pk, candidate_pk):
    event, candidate, member, label = _candidate(request, pk, candidate_pk)
    employers = queries.confirmed_employers(event)
    offers = queries.presented_offers(event)
    interview = None
    if employer_pk := _int(request.GET.get("employeur")):
        interview = Interview.objects.filter(candidate=candidate, employer_id=employer_pk).first()
    form = InterviewForm(
        request.POST or None, employers=employers, offers=offers, member=member, interview=interview
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        presented = data.get("offer")
        try:
            recorded = events.record_interview(
                candidate,
                by=request.user,
                employer=data["employer"],
                result=data["result"],
                offer=presented.offer if presented else None,
                contract=data.get("contract") or "",
                hired_on=data.get("hired_on"),
                request=request,
            )
        except events.EventError as error:
            form.add_error(None, error.message)
        else:
            if recorded.result == Interview.Result.HIRED:
                messages.success(
                    request, "Recrutement enregistré : il figure comme sortie dans le suivi de la personne."
                )
            else:
                messages.success(request, "Entretien enregistré.")
            return redirect("outreach:event", event.pk)
    return render(
        request,
        "outreach/events/interview.html",
        {
            "title": f"Entretien — {label}",
            "event": event,
            "candidate": candidate,
            "label": label,
            "member": member,
            "form": form,
            "has_employers": employers.exists(),
            "current": "events",
        },
    )


def event_panel(request, beneficiary, member):
    """On a person's page: the events they were invited to and what came of them, and the next ones.

    Registered by the app's ``ready()`` with ``core.person_panels``; the page is for members of the
    follow-up only, and the panel shows nothing to anyone else.
    """
    if member is None or member.ended_on is not None:
        return None
    candidacies = list(queries.candidacies_of(beneficiary.follow_up))
    upcoming = list(queries.upcoming_for(candidacies, beneficiary.territory_id))
    if not candidacies and not upcoming:
        return None
    return Panel(
        "outreach/events/_person_panel.html",
        {"beneficiary": beneficiary, "candidacies": candidacies, "upcoming": upcoming},
    )


# --- results ------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "Opération",
    "Nature",
    "Date",
    "Lieu",
    "Employeurs participants",
    "Offres présentées",
    "Postes proposés",
    "Candidats invités",
    "Candidats préparés",
    "Candidats présents",
    "Entretiens",
    "Recrutements",
    "Taux de recrutement (recrutés / présents)",
]


def _place(event) -> str:
    parts = [
        event.place_label,
        event.qpv.name if event.qpv_id else "",
        event.commune.name if event.commune_id else "",
    ]
    return ", ".join(p for p in parts if p)


@require_role(*PROFESSIONALS)
def event_results(request):
    form = PeriodForm(request.GET or None)
    return render(
        request,
        "outreach/events/results.html",
        {
            "title": "Résultats des opérations de recrutement",
            "form": form,
            "results": queries.results(request.scope.territory, form.period()),
            "people": queries.PEOPLE,
            "query": request.GET.urlencode(),
            "current": "event_results",
        },
    )


@require_role(*PROFESSIONALS)
def event_results_export(request):
    form = PeriodForm(request.GET or None)
    results = queries.results(request.scope.territory, form.period())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for row in [*results.rows, results.total]:
        event = row.event
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    event.title if event else "Total",
                    event.get_kind_display() if event else "",
                    f"{timezone.localtime(event.starts_at):%d/%m/%Y}" if event else "",
                    _place(event) if event else "",
                    row.employers,
                    row.offers,
                    row.posts,
                    *(str(row.people[name]) for name in queries.PEOPLE),
                    row.hire_rate,
                )
            ]
        )
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="operations-de-recrutement-{request.scope.territory.slug}-{stamp}.csv"'
    )
    return response
