"""Pages of the CV library (valorisation des CV): profiles, CV, search, offers, contact requests.

Thin: parse the request, call ``services``/``offers`` or a query, render. A profile, offer or request
outside what the user may read is a 404 (``queries``). Pages an employer reaches show a profile by
its reference only; every profile an employer sees is audited.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.pdf import PdfUnavailable, render_pdf
from cite_emploi.followup import access
from cite_emploi.followup import services as followup
from cite_emploi.followup.models import ProfessionalProject
from cite_emploi.followup.queries import appellation_rows, search_appellations
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.territory.centres import commune_centre
from cite_emploi.territory.models import Commune, RomeAppellation

from . import forms, matching, queries, search, services
from .models import ContactRequest, JobOffer, TalentProfile
from .offers import OfferError, save_offer

PROFESSIONALS = access.PROFESSIONAL_ROLES
USERS = ("coordinator", "counsellor", "employer")
OFFER_WRITERS = ("coordinator", "employer")
PAGE_SIZE = 20
ROME_FIELDS = {"appellations": "checkbox", "appellation": "radio", "metier": "checkbox"}


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _page(request, qs, param: str = "page", size: int = PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get(param))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _with_jobs(profiles) -> None:
    """Target jobs and commune of listed profiles in two queries, whoever built the list."""
    prefetch_related_objects(
        [p for p in profiles if p is not None],
        "jobs__appellation",
        Prefetch("commune", queryset=Commune.objects.defer("geometry")),
    )


def _offered(request, current, field: str):
    """The ROME appellations a form offers: the current ones, those just posted, and a search's results."""
    search_text = request.GET.get("metier_q", "").strip()[:100]
    found = search_appellations(search_text) if search_text else []
    posted = request.POST.getlist(field) if request.method == "POST" else []
    extra = (
        list(RomeAppellation.objects.filter(code__in=posted[:20]).select_related("occupation"))
        if posted
        else []
    )
    offered = list({a.pk: a for a in [*current, *extra, *found]}.values())
    known = {a.code for a in [*current, *extra]}
    return offered, {
        "search": search_text,
        "found": [a for a in found if a.code not in known],
        "searched": bool(search_text),
        "field": field,
        "input_type": ROME_FIELDS[field],
    }


# --- home ---------------------------------------------------------------------------------------


@require_role(*USERS)
def home(request):
    """By role: the people I follow and their profiles, requests to answer; an employer's offers and requests."""
    scope = request.scope
    context = {"title": "Valorisation des CV", "current": "home"}
    if queries.is_professional(scope):
        people = _page(request, queries.my_people(scope))
        for person in people.object_list:
            person.profile = getattr(person.follow_up, "talent_profile", None)
        pending = list(queries.member_requests(scope).filter(status=ContactRequest.Status.PENDING)[:20])
        shown = {p.pk: p for p in [*people.object_list, *(c.profile.follow_up.beneficiary for c in pending)]}
        followup.audit_list_read(shown.values(), by=request.user, request=request, what="CVthèque")
        context.update(
            people=people,
            pending=pending,
            figures=queries.territory_figures(scope.territory) if scope.has_role("coordinator") else None,
        )
    if queries.is_employer(scope):
        ids = queries.employer_organisation_ids(scope)
        context.update(
            organisations=queries.employer_organisations(scope),
            my_offers=list(queries.offers(scope).filter(organisation__in=ids)[:20]),
            my_requests=list(queries.employer_requests(scope)[:10]),
        )
    return render(request, "talent/home.html", context)


# --- profiles -----------------------------------------------------------------------------------


def _project_initial(beneficiary) -> tuple[dict, list]:
    """A new profile starts from the person's professional project, when there is one."""
    initial = {"commune": beneficiary.commune_id}
    project = (
        ProfessionalProject.objects.filter(follow_up=beneficiary.follow_up)
        .prefetch_related("target_jobs__occupation")
        .first()
    )
    if project is None:
        return initial, []
    jobs = list(project.target_jobs.all())[: services.MAX_JOBS]
    contracts = [c for c in project.contracts if c in forms.Contract.values]
    initial |= {
        "appellations": [a.code for a in jobs],
        "contracts": contracts,
        "driving_licence": project.has_driving_licence,
        "vehicle": project.has_vehicle,
    }
    if project.mobility_km is not None:
        initial["mobility_km"] = min(project.mobility_km, services.MAX_MOBILITY_KM)
    return initial, jobs


@require_role(*PROFESSIONALS)
def profile_create(request):
    """Write the profile of a person the user follows (``?beneficiary=<id>``), with their agreement."""
    scope = request.scope
    pk = _int(request.GET.get("beneficiary"))
    if pk is None:
        people = queries.beneficiaries_without_profile(scope)
        return render(
            request,
            "talent/profile_choose.html",
            {"title": "Créer un profil", "page_obj": _page(request, people), "current": "home"},
        )
    beneficiary = access.get_beneficiary(scope, pk)
    existing = TalentProfile.objects.filter(follow_up=beneficiary.follow_up).only("reference").first()
    if existing is not None:
        messages.info(request, "Cette personne a déjà un profil : le voici.")
        return redirect("talent:profile", existing.reference)
    initial, current = _project_initial(beneficiary)
    offered, rome = _offered(request, current, "appellations")
    form = forms.ProfileCreateForm(
        request.POST or None, territory=scope.territory, offered=offered, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.create_profile(
                beneficiary.follow_up,
                by=request.user,
                data=form.profile_data(),
                consent_given_on=form.cleaned_data["consent_given_on"],
                request=request,
            )
        except services.TalentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Profil {profile.reference} enregistré en brouillon : relisez-le avec la personne, puis publiez-le.",
            )
            return redirect("talent:profile", profile.reference)
    followup.audit_beneficiary(
        "read", beneficiary, by=request.user, what="CVthèque (création du profil)", request=request
    )
    return render(
        request,
        "talent/profile_form.html",
        {
            "title": "Créer le profil",
            "form": form,
            "beneficiary": beneficiary,
            "initial_letter": services.initial_of(beneficiary.first_name),
            "rome": rome,
            "current": "home",
        },
    )


@require_role(*PROFESSIONALS)
def profile_edit(request, reference):
    scope = request.scope
    profile = queries.get_member_profile(scope, reference)
    beneficiary = profile.follow_up.beneficiary
    current = [job.appellation for job in profile.jobs.all()]
    offered, rome = _offered(request, current, "appellations")
    initial = {
        "headline": profile.headline,
        "appellations": [a.code for a in current],
        "skills": "\n".join(profile.skills),
        "experience_summary": profile.experience_summary,
        "languages": ", ".join(profile.languages),
        "driving_licence": profile.driving_licence,
        "vehicle": profile.vehicle,
        "mobility_km": profile.mobility_km,
        "available_from": profile.available_from,
        "working_time": profile.working_time,
        "contracts": profile.contracts,
        "commune": profile.commune_id,
    }
    form = forms.ProfileForm(
        request.POST or None, territory=scope.territory, offered=offered, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(profile, by=request.user, data=form.profile_data(), request=request)
        except services.TalentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Profil enregistré.")
            return redirect("talent:profile", profile.reference)
    followup.audit_beneficiary(
        "read", beneficiary, by=request.user, what="CVthèque (modification du profil)", request=request
    )
    return render(
        request,
        "talent/profile_form.html",
        {
            "title": f"Modifier le profil {profile.reference}",
            "form": form,
            "profile": profile,
            "beneficiary": beneficiary,
            "initial_letter": profile.initial,
            "rome": rome,
            "current": "home",
        },
    )


@require_role(*USERS)
def profile(request, reference):
    """Members of the follow-up: the whole profile and what to do; others: the anonymised profile."""
    scope = request.scope
    found = queries.get_profile(scope, reference)
    profile = found.profile
    context = {
        "title": f"Profil {profile.reference}",
        "profile": profile,
        "is_member": found.is_member,
        "jobs": list(profile.jobs.all()),
        "current": "home",
    }
    queries.describe(profile)
    if found.is_member:
        beneficiary = profile.follow_up.beneficiary
        matches = matching.offers_for_profile(profile, limit=20)
        context.update(
            beneficiary=beneficiary,
            matches=matches,
            requests=list(queries.requests_about(profile)),
            follow_up_open=profile.follow_up.status == "open",
        )
        followup.audit_beneficiary(
            "read",
            beneficiary,
            by=request.user,
            what="CVthèque (profil)",
            request=request,
            profile=profile.pk,
        )
    else:
        ids = queries.employer_organisation_ids(scope)
        if ids:
            matches = matching.offers_for_profile(profile, limit=200, organisations=ids)
            requests = list(queries.requests_about(profile, ids))
            context.update(
                matches=matches,
                requests=requests,
                can_request=not any(r.status == ContactRequest.Status.PENDING for r in requests),
                contact_form=forms.ContactForm(offers=queries.open_offers_of(ids)),
            )
        services.audit_employer_read([profile], by=request.user, request=request)
    return render(request, "talent/profile_detail.html", context)


def _profile_action(request, reference, function, done: str):
    profile = queries.get_member_profile(request.scope, reference)
    try:
        function(profile, by=request.user, request=request)
    except services.TalentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("talent:profile", profile.reference)


@require_role(*PROFESSIONALS)
@require_POST
def profile_publish(request, reference):
    return _profile_action(
        request,
        reference,
        services.publish_profile,
        "Profil publié : les employeurs du territoire peuvent le trouver et demander une mise en relation.",
    )


@require_role(*PROFESSIONALS)
@require_POST
def profile_suspend(request, reference):
    return _profile_action(
        request, reference, services.suspend_profile, "Profil suspendu : les employeurs ne le voient plus."
    )


@require_role(*PROFESSIONALS)
def profile_consent_withdraw(request, reference):
    profile = queries.get_member_profile(request.scope, reference)
    form = forms.ConsentDateForm(request.POST or None, label="La personne a retiré son accord le")
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_consent(profile, by=request.user, on=form.cleaned_data["on"], request=request)
        except services.TalentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "Accord retiré : le profil est suspendu et les demandes en attente sont closes (les employeurs sont prévenus).",
            )
            return redirect("talent:profile", profile.reference)
    return render(
        request,
        "talent/consent_form.html",
        {
            "title": f"Retrait de l'accord — profil {profile.reference}",
            "profile": profile,
            "form": form,
            "withdraw": True,
            "pending": profile.contact_requests.filter(status=ContactRequest.Status.PENDING).count(),
            "current": "home",
        },
    )


@require_role(*PROFESSIONALS)
def profile_consent_renew(request, reference):
    profile = queries.get_member_profile(request.scope, reference)
    form = forms.RenewConsentForm(request.POST or None, label="La personne a donné à nouveau son accord le")
    if request.method == "POST" and form.is_valid():
        try:
            services.renew_consent(
                profile, by=request.user, given_on=form.cleaned_data["on"], request=request
            )
        except services.TalentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Nouvel accord enregistré : vous pouvez publier à nouveau le profil.")
            return redirect("talent:profile", profile.reference)
    return render(
        request,
        "talent/consent_form.html",
        {
            "title": f"Nouvel accord — profil {profile.reference}",
            "profile": profile,
            "form": form,
            "withdraw": False,
            "current": "home",
        },
    )


@require_role(*PROFESSIONALS)
def profile_cv(request, reference):
    """The CV as PDF, for the person: with their name, or anonymous (``?version=anonyme``)."""
    profile = queries.get_member_profile(request.scope, reference)
    beneficiary = profile.follow_up.beneficiary
    anonymous = request.GET.get("version") == "anonyme"
    context = {
        "profile": queries.describe(profile),
        "jobs": list(profile.jobs.all()),
        "person": None if anonymous else beneficiary,
        "generated_on": timezone.localdate(),
    }
    try:
        pdf = render_pdf("talent/cv_pdf.html", context)
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("talent:profile", profile.reference)
    followup.audit_beneficiary(
        "export",
        beneficiary,
        by=request.user,
        what="CV (PDF anonyme)" if anonymous else "CV (PDF)",
        request=request,
        profile=profile.pk,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    suffix = "-anonyme" if anonymous else ""
    response["Content-Disposition"] = f'attachment; filename="cv-{profile.reference}{suffix}.pdf"'
    return response


# --- search -------------------------------------------------------------------------------------


def _criteria(form):
    data = form.cleaned_data if form.is_bound else {}
    commune = data.get("commune")
    near = commune_centre(commune) if commune else None
    return search.ProfileCriteria(
        appellation_codes=[a.code for a in data.get("metier") or []],
        rome_codes=[data["rome"]] if data.get("rome") else [],
        words=data.get("mots") or "",
        near=near,
        within_km=data.get("rayon") if near else None,
        available_by=data.get("disponible"),
        contracts=list(data.get("contrats") or []),
        working_time=data.get("temps") or "",
    )


@require_role(*USERS)
def search_view(request):
    """Employers (and professionals) search the published profiles: job, skills, distance, availability."""
    scope = request.scope
    territory = scope.territory
    codes = request.GET.getlist("metier")[:10]
    selected = (
        list(RomeAppellation.objects.filter(code__in=codes).select_related("occupation")) if codes else []
    )
    offered, rome = _offered(request, selected, "metier")
    form = forms.SearchForm(request.GET or None, territory=territory, offered=offered)
    result = None
    if not form.is_bound or form.is_valid():
        criteria = _criteria(form)
        result = search.search_profiles(territory, criteria, page=_int(request.GET.get("page")) or 1)
        _with_jobs(result.rows)
        commune = form.cleaned_data.get("commune") if form.is_bound else None
        for row in result.rows:
            row.reasons = queries.search_reasons(row, criteria, near_label=commune.name if commune else "")
            queries.describe(row)
        if queries.is_employer(scope):
            services.audit_employer_read(
                result.rows, by=request.user, request=request, what="profil listé (recherche)"
            )
    context = {
        "title": "Rechercher des profils",
        "form": form,
        "result": result,
        "rome": rome,
        "query": _query_without(request, "page"),
        "current": "search",
    }
    template = "talent/includes/search_results.html" if request.htmx else "talent/search.html"
    return render(request, template, context)


@require_role(*USERS)
def offer_rome_search(request):
    """ROME job titles for the CV library's forms: an htmx fragment, or JSON (not personal data)."""
    q = (request.GET.get("metier_q") or request.GET.get("q") or "").strip()[:100]
    field = request.GET.get("champ", "metier")
    if field not in ROME_FIELDS:
        field = "metier"
    results = search_appellations(q) if q else []
    if request.htmx:
        return render(
            request,
            "talent/includes/rome_results.html",
            {
                "rome": {
                    "found": results,
                    "searched": bool(q),
                    "field": field,
                    "input_type": ROME_FIELDS[field],
                }
            },
        )
    return JsonResponse({"resultats": appellation_rows(results)})


# --- offers -------------------------------------------------------------------------------------


@require_role(*USERS)
def offer_list(request):
    scope = request.scope
    status = request.GET.get("statut", "")
    if status not in JobOffer.Status.values:
        status = ""
    qs = queries.offers(scope)
    if status:
        qs = qs.filter(status=status)
    return render(
        request,
        "talent/offers.html",
        {
            "title": "Offres d'emploi",
            "page_obj": _page(request, qs),
            "status": status,
            "statuses": JobOffer.Status.choices,
            "query": _query_without(request, "page"),
            "can_create": bool(queries.offer_organisations(scope)),
            "current": "offers",
        },
    )


def _organisation_choices(scope, offer=None):
    if offer is not None:
        return Organisation.objects.filter(pk=offer.organisation_id)
    ids = [o.pk for o in queries.offer_organisations(scope)]
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def _offer_form_page(request, form, rome, *, offer=None):
    organisations = list(form.fields["organisation"].queryset)
    return render(
        request,
        "talent/offer_form.html",
        {
            "title": f"Modifier l'offre {offer.reference}" if offer else "Publier une offre d'emploi",
            "form": form,
            "offer": offer,
            "rome": rome,
            "not_employer": [o for o in organisations if o.kind != OrganisationKind.EMPLOYER],
            "current": "offers",
        },
    )


@require_role(*OFFER_WRITERS)
def offer_create(request):
    scope = request.scope
    offered, rome = _offered(request, [], "appellation")
    form = forms.OfferForm(
        request.POST or None,
        organisations=_organisation_choices(scope),
        territory=scope.territory,
        offered=offered,
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = save_offer(
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                data=form.offer_data(),
                request=request,
            )
        except OfferError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Offre {offer.reference} enregistrée.")
            return redirect("talent:offer", offer.reference)
    return _offer_form_page(request, form, rome)


@require_role(*OFFER_WRITERS)
def offer_edit(request, reference):
    scope = request.scope
    offer = queries.get_editable_offer(scope, reference)
    offered, rome = _offered(request, [offer.appellation], "appellation")
    form = forms.OfferForm(
        request.POST or None,
        organisations=_organisation_choices(scope, offer),
        territory=scope.territory,
        offered=offered,
        initial={
            "organisation": offer.organisation_id,
            "title": offer.title,
            "appellation": offer.appellation.code,
            "contract": offer.contract,
            "hours_per_week": offer.hours_per_week,
            "posts": offer.posts,
            "commune": offer.commune_id,
            "starts_on": offer.starts_on,
            "description": offer.description,
            "skills": "\n".join(offer.skills),
            "status": offer.status,
        },
    )
    form.fields["status"].choices = JobOffer.Status.choices
    if request.method == "POST" and form.is_valid():
        try:
            save_offer(
                organisation=offer.organisation,
                by=request.user,
                data=form.offer_data(),
                offer=offer,
                request=request,
            )
        except OfferError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Offre enregistrée.")
            return redirect("talent:offer", offer.reference)
    return _offer_form_page(request, form, rome, offer=offer)


@require_role(*USERS)
def offer_detail(request, reference):
    """The offer and the profiles that match it, ranked, each with its reasons (anonymised rows)."""
    scope = request.scope
    offer = queries.get_offer(scope, reference)
    matches = matching.profiles_for_offer(offer, limit=20) if offer.status == JobOffer.Status.OPEN else []
    profiles = [m.profile for m in matches]
    _with_jobs(profiles)
    followed = (
        set(
            queries.member_profiles(scope)
            .filter(pk__in=[p.pk for p in profiles])
            .values_list("pk", flat=True)
        )
        if profiles and queries.is_professional(scope)
        else set()
    )
    for match in matches:
        match.profile.followed = match.profile.pk in followed
        queries.describe(match.profile)
    can_edit = queries.can_edit_offer(scope, offer)
    if queries.is_employer(scope) and profiles:
        services.audit_employer_read(profiles, by=request.user, request=request, what="profil listé (offre)")
    return render(
        request,
        "talent/offer_detail.html",
        {
            "title": offer.title,
            "offer": offer,
            "matches": matches,
            "can_edit": can_edit,
            "requests": list(offer.contact_requests.select_related("profile").order_by("-created_at"))
            if can_edit
            else [],
            "close_form": forms.CloseOfferForm(),
            "current": "offers",
        },
    )


@require_role(*OFFER_WRITERS)
@require_POST
def offer_close(request, reference):
    offer = queries.get_editable_offer(request.scope, reference)
    form = forms.CloseOfferForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Dites pourquoi l'offre est close : poste pourvu, ou offre retirée.")
        return redirect("talent:offer", offer.reference)
    try:
        save_offer(
            organisation=offer.organisation,
            by=request.user,
            data={"status": form.cleaned_data["status"]},
            offer=offer,
            request=request,
        )
    except OfferError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Offre close : elle n'est plus proposée.")
    return redirect("talent:offer", offer.reference)


# --- contact requests ---------------------------------------------------------------------------


@require_role("employer")
def contact_create(request, reference):
    """An employer asks the referent of a published profile to arrange a meeting."""
    scope = request.scope
    profile = get_object_or_404(
        queries.published_profiles(scope.territory)
        .select_related("commune")
        .defer("commune__geometry")
        .prefetch_related(queries.JOBS),
        reference=reference,
    )
    organisations = queries.employer_organisations(scope)
    ids = [o.pk for o in organisations]
    offers = queries.open_offers_of(ids)
    chosen = (
        offers.filter(reference=request.GET.get("offre", "")).first() if request.GET.get("offre") else None
    )
    form = forms.ContactForm(request.POST or None, offers=offers, initial={"offer": chosen})
    if request.method == "POST" and form.is_valid():
        offer = form.cleaned_data["offer"]
        try:
            services.request_contact(
                profile,
                by=request.user,
                organisation=offer.organisation if offer else organisations[0],
                offer=offer,
                message=form.cleaned_data["message"],
                request=request,
            )
        except services.TalentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "Demande envoyée au référent de la personne : vous serez prévenu·e par courriel de sa réponse.",
            )
            return redirect("talent:contact_requests")
    services.audit_employer_read([profile], by=request.user, request=request)
    return render(
        request,
        "talent/contact_form.html",
        {
            "title": f"Demander une mise en relation — profil {profile.reference}",
            "profile": queries.describe(profile),
            "jobs": list(profile.jobs.all()),
            "form": form,
            "current": "requests",
        },
    )


@require_role(*USERS)
def contact_list(request):
    """An employer's requests and their answers; the requests about the profiles a professional follows."""
    scope = request.scope
    status = request.GET.get("statut", "")
    if status not in ContactRequest.Status.values:
        status = ""
    context = {
        "title": "Demandes de mise en relation",
        "status": status,
        "statuses": ContactRequest.Status.choices,
        "status_query": f"statut={status}" if status else "",
        "current": "requests",
    }
    if queries.is_employer(scope):
        qs = queries.employer_requests(scope)
        context["sent"] = _page(request, qs.filter(status=status) if status else qs, "envoyees")
    if queries.is_professional(scope):
        qs = queries.member_requests(scope)
        received = _page(request, qs.filter(status=status) if status else qs, "recues")
        followup.audit_list_read(
            [r.profile.follow_up.beneficiary for r in received.object_list],
            by=request.user,
            request=request,
            what="CVthèque (demandes de mise en relation)",
        )
        context["received"] = received
    return render(request, "talent/contact_list.html", context)


@require_role(*PROFESSIONALS)
def contact_answer(request, pk):
    """A member of the follow-up reads a request and answers it with the person's agreement."""
    contact = queries.get_member_contact(request.scope, pk)
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST":
        if contact.status != ContactRequest.Status.PENDING:
            messages.error(request, "Cette demande a déjà reçu une réponse ou a été retirée.")
            return redirect("talent:contact_answer", contact.pk)
        if form.is_valid():
            try:
                services.answer_contact(
                    contact,
                    by=request.user,
                    accept=form.accepted,
                    answer=form.cleaned_data["answer"],
                    person_agreed_on=form.cleaned_data["person_agreed_on"],
                    request=request,
                )
            except services.TalentError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Réponse envoyée à l'employeur.")
                return redirect("talent:contact_answer", contact.pk)
    beneficiary = contact.profile.follow_up.beneficiary
    followup.audit_beneficiary(
        "read",
        beneficiary,
        by=request.user,
        what="CVthèque (mise en relation)",
        request=request,
        contact=contact.pk,
    )
    return render(
        request,
        "talent/contact_answer.html",
        {
            "title": f"Demande de mise en relation n° {contact.pk}",
            "contact": contact,
            "beneficiary": beneficiary,
            "form": form,
            "current": "requests",
        },
    )


@require_role("employer")
@require_POST
def contact_withdraw(request, pk):
    contact = queries.get_employer_contact(request.scope, pk)
    try:
        services.withdraw_contact(contact, by=request.user, request=request)
    except services.TalentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Demande retirée : le référent en est informé sur la plateforme.")
    return redirect("talent:contact_requests")
