"""Pages of the shared follow-up: parse the request, call a service or a query, render.

Every page about a person starts with ``access.get_beneficiary`` (a 404 outside the user's
follow-ups, whatever the method) and every page that shows personal data is audited (``_page``).
"""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core import person_panels
from cite_emploi.core.pdf import PdfUnavailable, render_pdf
from cite_emploi.partners import enums
from cite_emploi.territory.models import RomeAppellation

from . import access, duplicates, exports, forms, queries, queries_referrals, queries_reviews, services
from .models import Barrier, Beneficiary, Consent, FollowUpMember, ProfessionalProject, SituationFact
from .models import age_group as age_group_of
from .templatetags.referral_tags import BADGES as REFERRAL_BADGES

PROFESSIONALS = access.PROFESSIONAL_ROLES
JOIN_SALT = "followup.join-request"
JOIN_TOKEN_MAX_AGE = 24 * 3600
LOCATION_INPUTS = {"address", "postcode", "commune", "location_mode", "longitude", "latitude", "qpv"}


def _open(request, pk) -> Beneficiary:
    return access.get_beneficiary(request.scope, pk)


def _me(request, beneficiary) -> FollowUpMember:
    return services.member_of(beneficiary.follow_up, request.user)


def _page(request, template: str, beneficiary: Beneficiary, what: str, context: dict, status: int = 200):
    """Render a page showing a person's data, and record that it was read."""
    services.audit_beneficiary("read", beneficiary, by=request.user, what=what, request=request)
    context = {"beneficiary": beneficiary, "follow_up": beneficiary.follow_up, **context}
    return render(request, template, context, status=status)


def _form_page(request, beneficiary, form, *, title, what, submit, intro="", danger=False, multipart=False):
    return _page(
        request,
        "followup/form_page.html",
        beneficiary,
        what,
        {
            "form": form,
            "title": title,
            "intro": intro,
            "submit": submit,
            "danger": danger,
            "multipart": multipart,
        },
    )


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _back(beneficiary):
    return redirect("followup:beneficiary", beneficiary.pk)


# --- list and creation --------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def beneficiary_list(request):
    form = forms.ListFilterForm(request.GET or None, territory=request.scope.territory)
    beneficiaries = queries.my_beneficiaries(request.scope, form.filters())
    # The page's ids and the count in one pass over the filters; then the 20 rows in full.
    page = queries.page_of_ids(beneficiaries, request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    rows = queries.list_rows(page.object_list, request.scope)
    services.audit_list_read(rows, by=request.user, request=request, what="liste")
    today = timezone.localdate()
    for b in rows:
        b.age_group_label = dict(forms.AgeGroup.choices).get(age_group_of(b.birth_date, today), "")
    context = {
        "title": "Mes bénéficiaires",
        "form": form,
        "page_obj": page,
        "rows": rows,
        "count": page.paginator.count,
        "has_filters": bool(request.GET.keys() - {"page"}),
    }
    template = "followup/includes/beneficiary_rows.html" if request.htmx else "followup/beneficiary_list.html"
    return render(request, template, context)


def _join_token(request, match, organisation) -> str:
    return signing.dumps(
        {"b": match.beneficiary.pk, "u": request.user.pk, "o": organisation.pk}, salt=JOIN_SALT, compress=True
    )


@require_role(*PROFESSIONALS)
def beneficiary_create(request):
    territory = request.scope.territory
    organisations = queries.acting_organisations(request.scope)
    if not organisations:
        raise PermissionDenied(
            "Seuls les professionnels d'une organisation du territoire peuvent enregistrer une personne."
        )
    form = forms.BeneficiaryForm(request.POST or None, territory=territory, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        allow_duplicate = request.POST.get("confirm_different") == "on"
        identity = form.identity()
        if not allow_duplicate:
            matches = duplicates.find_matches(
                territory,
                first_name=identity["first_name"],
                last_name=identity["last_name"],
                birth_date=identity["birth_date"],
                france_travail_id=identity.get("france_travail_id", ""),
            )
            if matches:
                return _duplicates_page(request, form, matches, organisation)
        location = form.location()
        try:
            beneficiary = services.create_beneficiary(
                territory=territory,
                organisation=organisation,
                by=request.user,
                data=identity,
                location=location,
                allow_duplicate=allow_duplicate,
                request=request,
            )
        except services.DuplicateSuspected as error:
            return _duplicates_page(request, form, error.matches, organisation)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            if location.warning:
                messages.warning(request, location.warning)
            messages.success(
                request,
                "Fiche créée : vous êtes référent·e de parcours. Recueillez le consentement de la personne "
                "avant d'inviter un professionnel d'une autre organisation.",
            )
            return redirect("followup:beneficiary", beneficiary.pk)
    return render(
        request,
        "followup/beneficiary_form.html",
        {"form": form, "title": "Nouvelle personne accompagnée", "creating": True},
    )


def _duplicates_page(request, form, matches, organisation):
    """Say who follows the person, never what the record holds; offer to ask to join."""
    for match in matches:  # the user learns that the record exists: audited, though nothing more is shown
        services.audit_beneficiary(
            "read", match.beneficiary, by=request.user, what="doublon détecté", request=request
        )
    offers = [
        {
            "organisation": m.organisation,
            "closed": m.follow_up_closed,
            "can_request": m.referent is not None,
            "form": forms.JoinRequestForm(initial={"token": _join_token(request, m, organisation)}),
        }
        for m in matches
    ]
    return render(
        request,
        "followup/duplicates.html",
        {"title": "Cette personne est peut-être déjà suivie", "form": form, "offers": offers},
    )


# --- join requests ------------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def join_request_create(request):
    if refused := _post_only(request):
        return refused
    form = forms.JoinRequestForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        data = signing.loads(form.cleaned_data["token"], salt=JOIN_SALT, max_age=JOIN_TOKEN_MAX_AGE)
    except signing.BadSignature as error:
        raise Http404 from error
    organisations = {o.pk: o for o in queries.acting_organisations(request.scope)}
    if data.get("u") != request.user.pk or data.get("o") not in organisations:
        raise Http404
    beneficiary = get_object_or_404(
        Beneficiary.objects.select_related("follow_up"),
        pk=data.get("b"),
        territory=request.scope.territory,
        anonymised_at__isnull=True,
    )
    try:
        services.request_to_join(
            beneficiary,
            by=request.user,
            organisation=organisations[data["o"]],
            message=form.cleaned_data["message"],
            request=request,
        )
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Votre demande a été envoyée au ou à la référente du suivi. Sa réponse vous parviendra par courriel ; "
            "d'ici là, aucune information sur la personne ne vous est montrée.",
        )
    return redirect("followup:join_requests")


@require_role(*PROFESSIONALS)
def join_requests(request):
    received = list(queries.pending_join_requests_for_referent(request.user))
    for jr in received:
        services.audit_beneficiary(
            "read", jr.follow_up.beneficiary, by=request.user, what="demande à rejoindre", request=request
        )
    return render(
        request,
        "followup/join_requests.html",
        {
            "title": "Demandes pour rejoindre un suivi",
            "received": received,
            "sent": queries.join_requests_sent_by(request.user),
        },
    )


@require_role(*PROFESSIONALS)
def join_request_answer(request, pk):
    join_request = queries.get_join_request_for_referent(request.user, pk)
    if join_request is None or join_request.follow_up.beneficiary.territory_id != request.scope.territory.pk:
        raise Http404
    if refused := _post_only(request):
        return refused
    accept = request.POST.get("decision") == "accepter"
    try:
        services.answer_join_request(join_request, by=request.user, accept=accept, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Demande acceptée : le professionnel a rejoint le suivi." if accept else "Demande déclinée.",
        )
    return redirect("followup:join_requests")


# --- the person's page --------------------------------------------------------------------------


# The timeline opens on its latest lines; « Voir la suite » brings the older ones by batches.
TIMELINE_FIRST = 10
TIMELINE_BATCH = 50
TIMELINE_MAX_START = 1_000_000  # past any timeline; keeps OFFSET far from the engines' integer limits


@require_role(*PROFESSIONALS)
def beneficiary_detail(request, pk):
    related, deferred = person_panels.follow_up_relations()
    beneficiary = access.get_beneficiary(
        request.scope, pk, follow_up_related=related, follow_up_deferred=deferred
    )
    follow_up = beneficiary.follow_up
    members = list(queries.members(follow_up))
    me = services.member_among(members, request.user)
    barriers = list(follow_up.barriers.order_by("category", "thematique"))
    for barrier in barriers:
        barrier.label = enums.label(barrier.thematique)
        barrier.category_label = enums.label(barrier.category)
        barrier.can_move = bool(services.allowed_barrier_statuses(barrier))
    project = ProfessionalProject.objects.filter(follow_up=follow_up).prefetch_related("target_jobs").first()
    consents = list(beneficiary.consents.select_related("collected_by", "organisation"))
    events = list(queries.visible_events(follow_up, request.scope)[:TIMELINE_FIRST])
    readable_events, hidden_events = queries.timeline_counts(follow_up, request.scope)
    outcomes = list(follow_up.outcomes.all())
    for outcome in outcomes:
        outcome.contract_label = services.CONTRACT_LABELS.get(outcome.contract, outcome.contract)
    referrals = list(queries_referrals.for_follow_up(follow_up))
    for referral in referrals:
        referral.badge = REFERRAL_BADGES.get(referral.status, "")
    context = {
        "title": str(beneficiary),
        "me": me,
        "age_group": dict(forms.AgeGroup.choices).get(beneficiary.age_group, ""),
        "facts": beneficiary.facts.all(),
        "consents": consents,
        "active_consent": next((c for c in consents if c.is_active), None),
        "members": members,
        "barriers": barriers,
        "project": project,
        "project_contracts": [ProfessionalProject.Contract(c).label for c in project.contracts]
        if project
        else [],
        "outcomes": outcomes,
        "events": events,
        "older_events": readable_events - len(events),
        "next_start": len(events),
        "hidden_events": hidden_events,
        "entry_fields": forms.blank_entry_fields(),
        "pending_requests": (
            follow_up.join_requests.filter(status="pending").count() if me and me.is_referent else 0
        ),
        "referrals": referrals,
        "cohorts": list(queries_reviews.cohorts_of(follow_up)),
        "review_items": list(queries_reviews.reviews_of(follow_up)),
        "person_panels": person_panels.panels_for(request, beneficiary, me),
    }
    return _page(request, "followup/beneficiary_detail.html", beneficiary, "fiche", context)


@require_role(*PROFESSIONALS)
def timeline(request, pk):
    """The person's timeline from line ``depuis`` on, by batches.

    Asked by htmx (« Voir la suite » on the person's page), it answers the lines to append and the
    next « Voir la suite »; without JavaScript, the same link opens this batch as a page. Either way
    it is a read of the person's data, audited like the page.
    """
    beneficiary = _open(request, pk)  # a 404 outside the follow-up, whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    try:
        start = min(max(int(request.GET.get("depuis", 0)), 0), TIMELINE_MAX_START)
    except ValueError:
        start = 0
    batch = list(
        queries.visible_events(beneficiary.follow_up, request.scope)[start : start + TIMELINE_BATCH + 1]
    )
    events = batch[:TIMELINE_BATCH]
    context = {
        "title": f"Parcours — {beneficiary}",
        "events": events,
        "start": start,
        "end": start + len(events),
        "next_start": start + TIMELINE_BATCH if len(batch) > TIMELINE_BATCH else None,
    }
    template = "followup/includes/timeline_more.html" if request.htmx else "followup/timeline.html"
    response = _page(request, template, beneficiary, "parcours", context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a fragment or a page
    return response


@require_role(*PROFESSIONALS)
def beneficiary_edit(request, pk):
    beneficiary = _open(request, pk)
    form = forms.BeneficiaryForm(
        request.POST or None, instance=beneficiary, territory=request.scope.territory
    )
    if request.method == "POST" and form.is_valid():
        location = form.location() if LOCATION_INPUTS & set(form.changed_data) else None
        try:
            services.update_beneficiary(
                beneficiary,
                by=request.user,
                data=form.identity(),
                expected_version=form.cleaned_data["version"],
                location=location,
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            if location and location.warning:
                messages.warning(request, location.warning)
            messages.success(request, "Fiche enregistrée.")
            return _back(beneficiary)
    return _page(
        request,
        "followup/beneficiary_form.html",
        beneficiary,
        "modification",
        {"form": form, "title": f"Modifier la fiche de {beneficiary}"},
    )


@require_role(*PROFESSIONALS)
def fact_create(request, pk):
    beneficiary = _open(request, pk)
    form = forms.FactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_situation_fact(beneficiary, by=request.user, request=request, **form.cleaned_data)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Situation ajoutée.")
            return _back(beneficiary)
    return _form_page(
        request, beneficiary, form, title="Ajouter une situation", what="situation", submit="Ajouter"
    )


@require_role(*PROFESSIONALS)
def fact_end(request, pk, fact_pk):
    beneficiary = _open(request, pk)
    fact = get_object_or_404(SituationFact, pk=fact_pk, beneficiary=beneficiary)
    if refused := _post_only(request):
        return refused
    try:
        services.end_situation_fact(fact, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    return _back(beneficiary)


# --- consent ------------------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def consent_create(request, pk):
    beneficiary = _open(request, pk)
    form = forms.ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(
                beneficiary,
                by=request.user,
                given_on=form.cleaned_data["given_on"],
                scope=form.cleaned_data["scope"],
                document=form.cleaned_data.get("document"),
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "Consentement enregistré : vous pouvez inviter des professionnels d'autres organisations.",
            )
            return _back(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Recueillir le consentement",
        what="consentement",
        submit="Enregistrer le consentement",
        intro=(
            "Avant qu'un professionnel d'une autre organisation voie cette fiche, la personne doit avoir accepté "
            "le partage. Expliquez-lui ce qui est partagé (identité, situation, freins, parcours), avec qui "
            "(les professionnels membres de son suivi) et qu'elle peut retirer son accord à tout moment."
        ),
        multipart=True,
    )


@require_role(*PROFESSIONALS)
def consent_document(request, pk, consent_pk):
    beneficiary = _open(request, pk)
    consent = get_object_or_404(Consent, pk=consent_pk, beneficiary=beneficiary)
    if not consent.document:
        raise Http404
    services.audit_beneficiary(
        "read",
        beneficiary,
        by=request.user,
        what="formulaire de consentement",
        request=request,
        consent=consent.pk,
    )
    try:
        handle = consent.document.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = consent.document.name.rsplit(".", 1)[-1]
    return FileResponse(
        handle, as_attachment=True, filename=f"consentement-{beneficiary.pk}-{consent.pk}.{extension}"
    )


@require_role(*PROFESSIONALS)
def consent_withdraw(request, pk):
    beneficiary = _open(request, pk)
    me = _me(request, beneficiary)
    form = forms.ConfirmForm(
        request.POST or None,
        label=f"La personne retire son consentement : le suivi reste au sein de {me.organisation.name}.",
    )
    if request.method == "POST" and form.is_valid():
        try:
            ended = services.withdraw_consent(beneficiary, by=request.user, request=request)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "Consentement retiré."
                + (
                    f" {len(ended)} professionnel(s) d'autres organisations ne voient plus la fiche."
                    if ended
                    else ""
                ),
            )
            return _back(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Retrait du consentement",
        what="consentement",
        submit="Enregistrer le retrait",
        intro=(
            "Le partage s'arrête aujourd'hui : les professionnels des autres organisations quittent le suivi "
            "(motif « retrait du consentement ») et ne voient plus la fiche. Ce qui a été noté reste dans le parcours."
        ),
        danger=True,
    )


# --- members and the follow-up itself -----------------------------------------------------------


@require_role(*PROFESSIONALS)
def member_invite(request, pk):
    beneficiary = _open(request, pk)
    follow_up = beneficiary.follow_up
    form = forms.InviteForm(request.POST or None, follow_up=follow_up)
    if request.method == "POST" and form.is_valid():
        membership = form.cleaned_data["membership"]
        try:
            services.invite_member(
                follow_up,
                user=membership.user,
                organisation=membership.organisation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{membership.user} a rejoint le suivi et reçoit un courriel.")
            return _back(beneficiary)
    has_consent = services.has_active_consent(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Inviter un professionnel",
        what="membres",
        submit="Inviter",
        intro=(
            "Le professionnel invité voit toute la fiche et le parcours (sauf les notes réservées à une autre organisation)."
            if has_consent
            else f"Pas de consentement enregistré : seuls les professionnels de {beneficiary.created_by_organisation.name} "
            "peuvent être invités. Recueillez d'abord le consentement pour ouvrir le suivi à une autre organisation."
        ),
    )


@require_role(*PROFESSIONALS)
def referent_transfer(request, pk):
    beneficiary = _open(request, pk)
    follow_up = beneficiary.follow_up
    form = forms.ReferentForm(request.POST or None, follow_up=follow_up)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_referent(
                follow_up, to=form.cleaned_data["member"], by=request.user, request=request
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Le rôle de référent·e de parcours a été transmis.")
            return _back(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Transmettre le rôle de référent·e",
        what="membres",
        submit="Transmettre",
        intro="Le ou la référente de parcours coordonne le suivi et répond aux demandes pour le rejoindre.",
    )


@require_role(*PROFESSIONALS)
def member_end(request, pk, member_pk):
    beneficiary = _open(request, pk)
    member = get_object_or_404(
        FollowUpMember.objects.select_related("user", "organisation", "follow_up"),
        pk=member_pk,
        follow_up=beneficiary.follow_up,
        ended_on__isnull=True,
    )
    form = forms.EndMembershipForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_membership(
                member,
                by=request.user,
                reason=form.cleaned_data["reason"],
                successor=form.cleaned_data.get("successor"),
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Membre retiré du suivi.")
            if member.user_id == request.user.pk:
                return redirect("followup:beneficiaries")
            return _back(beneficiary)
    leaving_self = member.user_id == request.user.pk
    return _form_page(
        request,
        beneficiary,
        form,
        title="Quitter le suivi" if leaving_self else f"Retirer {member.user} du suivi",
        what="membres",
        submit="Quitter le suivi" if leaving_self else "Retirer",
        intro="Après son départ, le membre ne voit plus la fiche.",
        danger=True,
    )


@require_role(*PROFESSIONALS)
def follow_up_close(request, pk):
    beneficiary = _open(request, pk)
    form = forms.CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_follow_up(
                beneficiary.follow_up,
                by=request.user,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["closed_on"],
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, "Suivi clos. Les membres gardent l'accès pour noter la situation à 6 et 12 mois."
            )
            return _back(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Clore le suivi",
        what="clôture",
        submit="Clore le suivi",
        intro="Pensez à enregistrer la sortie (emploi, formation…) si elle est connue.",
    )


@require_role(*PROFESSIONALS)
def follow_up_reopen(request, pk):
    beneficiary = _open(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        services.reopen_follow_up(beneficiary.follow_up, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Suivi rouvert.")
    return _back(beneficiary)


# --- barriers, project, timeline, outcomes ------------------------------------------------------


@require_role(*PROFESSIONALS)
def barrier_create(request, pk):
    beneficiary = _open(request, pk)
    follow_up = beneficiary.follow_up
    form = forms.BarrierForm(request.POST or None, follow_up=follow_up)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_barrier(
                follow_up,
                thematique=form.cleaned_data["thematique"],
                notes=form.cleaned_data["notes"],
                identified_on=form.cleaned_data["identified_on"],
                by=request.user,
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Frein ajouté.")
            return _back(beneficiary)
    return _form_page(request, beneficiary, form, title="Ajouter un frein", what="freins", submit="Ajouter")


@require_role(*PROFESSIONALS)
def barrier_status(request, pk, barrier_pk):
    beneficiary = _open(request, pk)
    barrier = get_object_or_404(Barrier, pk=barrier_pk, follow_up=beneficiary.follow_up)
    if request.method == "POST" and request.POST.get("supprimer"):
        try:
            services.delete_barrier(barrier, by=request.user, request=request)
        except services.FollowUpError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Frein supprimé.")
        return _back(beneficiary)
    form = forms.BarrierStatusForm(request.POST or None, barrier=barrier)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_barrier_status(
                barrier,
                form.cleaned_data["status"],
                by=request.user,
                on=form.cleaned_data["on"],
                notes=form.cleaned_data["notes"],
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Statut du frein mis à jour.")
            return _back(beneficiary)
    return _page(
        request,
        "followup/barrier_status.html",
        beneficiary,
        "freins",
        {
            "form": form,
            "barrier": barrier,
            "barrier_label": enums.label(barrier.thematique),
            "title": f"Frein : {enums.label(barrier.thematique)}",
            "can_delete": barrier.status == Barrier.Status.IDENTIFIED,
        },
    )


@require_role(*PROFESSIONALS)
def project_edit(request, pk):
    beneficiary = _open(request, pk)
    follow_up = beneficiary.follow_up
    project = ProfessionalProject.objects.filter(follow_up=follow_up).first()
    current = list(project.target_jobs.select_related("occupation")) if project else []
    search = request.GET.get("metier", "").strip()[:100]
    found = queries.search_appellations(search) if search else []
    posted = request.POST.getlist("target_jobs") if request.method == "POST" else []
    extra = list(RomeAppellation.objects.filter(code__in=posted)) if posted else []
    offered = list({a.pk: a for a in [*current, *extra, *found]}.values())
    initial = {}
    if project:
        initial = {
            "target_jobs": [a.code for a in current],
            "contracts": project.contracts,
            "mobility_km": project.mobility_km,
            "has_driving_licence": project.has_driving_licence,
            "has_vehicle": project.has_vehicle,
            "notes": project.notes,
        }
    form = forms.ProjectForm(request.POST or None, initial=initial, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_project(follow_up, by=request.user, request=request, **form.cleaned_data)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Projet professionnel enregistré.")
            return _back(beneficiary)
    return _page(
        request,
        "followup/project_form.html",
        beneficiary,
        "projet professionnel",
        {
            "form": form,
            "title": "Projet professionnel",
            "search": search,
            "found": [a for a in found if a.code not in {c.code for c in current}],
            "searched": bool(search),
        },
    )


@require_role(*PROFESSIONALS)
def rome_search(request):
    """ROME job titles: JSON for scripts, an HTML fragment of checkboxes for htmx (not personal data)."""
    q = (request.GET.get("q") or request.GET.get("metier") or "").strip()[:100]
    results = queries.search_appellations(q) if q else []
    if request.htmx:
        return render(request, "followup/includes/rome_results.html", {"found": results, "searched": bool(q)})
    return JsonResponse({"resultats": queries.appellation_rows(results)})


@require_role(*PROFESSIONALS)
def entry_create(request, pk):
    beneficiary = _open(request, pk)
    form = forms.EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_entry(
                beneficiary.follow_up,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                visibility=form.cleaned_data["visibility"],
                at=form.cleaned_data["at"],
                by=request.user,
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Ajouté au parcours.")
            return _back(beneficiary)
    return _form_page(
        request, beneficiary, form, title="Ajouter au parcours", what="parcours", submit="Ajouter"
    )


@require_role(*PROFESSIONALS)
def outcome_create(request, pk):
    beneficiary = _open(request, pk)
    form = forms.OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_outcome(
                beneficiary.follow_up, by=request.user, request=request, **form.cleaned_data
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Sortie enregistrée.")
            return _back(beneficiary)
    return _form_page(
        request,
        beneficiary,
        form,
        title="Enregistrer une sortie",
        what="sorties",
        submit="Enregistrer",
        intro=(
            "Emploi durable : CDI ou CDD de 6 mois ou plus. Emploi de transition : CDD de moins de 6 mois, intérim, "
            "contrat aidé, IAE. Une situation à 6 ou 12 mois s'enregistre ici aussi."
        ),
    )


# --- personal data: export, erasure, audit log --------------------------------------------------


@require_role(*PROFESSIONALS)
def export_json(request, pk):
    beneficiary = _open(request, pk)
    data = exports.person_data(beneficiary, request.scope)
    services.audit_beneficiary("export", beneficiary, by=request.user, what="export JSON", request=request)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="donnees-personne-{beneficiary.pk}.json"'
    return response


@require_role(*PROFESSIONALS)
def export_pdf(request, pk):
    beneficiary = _open(request, pk)
    data = exports.person_data(beneficiary, request.scope)
    try:
        pdf = render_pdf("followup/export_pdf.html", {"data": data, "beneficiary": beneficiary})
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return _back(beneficiary)
    services.audit_beneficiary("export", beneficiary, by=request.user, what="export PDF", request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="donnees-personne-{beneficiary.pk}.pdf"'
    return response


@require_role(*PROFESSIONALS)
def erase(request, pk):
    beneficiary = _open(request, pk)
    me = _me(request, beneficiary)
    form = forms.EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["mode"] == forms.EraseForm.DELETE:
                services.delete_beneficiary(beneficiary, by=request.user, request=request)
                messages.success(request, "La fiche et son parcours ont été effacés.")
            else:
                services.anonymise_beneficiary(beneficiary, by=request.user, request=request)
                messages.success(request, "La fiche a été anonymisée.")
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            return redirect("followup:beneficiaries")
    return _page(
        request,
        "followup/erase.html",
        beneficiary,
        "effacement",
        {"form": form, "title": "Effacer ou anonymiser la fiche", "is_referent": bool(me and me.is_referent)},
    )


@require_role("coordinator")
def audit_log(request):
    territory = request.scope.territory
    form = forms.AuditFilterForm(request.GET or None, territory=territory)
    entries = queries.audit_entries(territory, form.filters())
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render(
        request,
        "followup/audit_log.html",
        {"title": "Journal des accès aux données personnelles", "form": form, "page_obj": page},
    )
