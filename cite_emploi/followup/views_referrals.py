"""Pages of referrals (orientations), the inbox of the receiving organisation, cohorts and case reviews.

Thin: parse the request, call ``referrals`` / ``reviews`` or a query, render. A referral, cohort or
case review outside what the user may read is a 404; a page showing a person is audited.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.models import AuditEntry
from cite_emploi.core.pdf import PdfUnavailable, render_pdf
from cite_emploi.partners import enums
from cite_emploi.partners import queries as partner_queries

from . import access, queries_referrals, queries_reviews, referrals, reviews, services
from .forms_referrals import (
    AcceptForm,
    AddBeneficiaryForm,
    CaseReviewForm,
    CohortForm,
    PeriodForm,
    ReferralForm,
    RefuseForm,
    ReviewItemForm,
    StepForm,
)
from .models import AgeGroup, Barrier, FollowUp, Referral
from .models import age_group as age_group_of

PROFESSIONALS = access.PROFESSIONAL_ROLES
PAGE_SIZE = 20
STEPS = {
    "start": (referrals.start_referral, "L'orientation est marquée comme commencée."),
    "complete": (referrals.complete_referral, "L'orientation est marquée comme terminée."),
    "abandon": (referrals.abandon_referral, "L'orientation est marquée comme abandonnée."),
}


def _page(request, qs, param: str = "page", size: int = PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get(param))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _label_people(rows) -> None:
    """The minimum shown about a person oriented: age group and commune (never the birth date)."""
    today = timezone.localdate()
    groups = dict(AgeGroup.choices)
    for referral in rows:
        beneficiary = referral.follow_up.beneficiary
        referral.age_group_label = groups.get(age_group_of(beneficiary.birth_date, today), "")
        referral.commune_label = (
            beneficiary.commune.name if beneficiary.commune_id else "Commune non renseignée"
        )


# --- referrals ----------------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def inbox(request):
    """Referrals addressed to the user's organisations: waiting for an answer, then in progress."""
    scope = request.scope
    organisations = queries_referrals.receiving_organisations(scope)
    chosen = next((o for o in organisations if o.pk == _int(request.GET.get("organisation"))), None)
    box = queries_referrals.inbox(scope, chosen)
    pending = _page(request, box.pending, "attente", 50)
    in_progress = _page(request, box.in_progress)
    rows = [*pending.object_list, *in_progress.object_list]
    _label_people(rows)
    services.audit_list_read(
        [r.follow_up.beneficiary for r in rows], by=request.user, request=request, what="orientations reçues"
    )
    now = timezone.now()
    for referral in pending.object_list:
        referral.waiting_days = (now - referral.sent_at).days
    return render(
        request,
        "followup/referrals/inbox.html",
        {
            "title": "Orientations reçues",
            "organisations": organisations,
            "chosen": chosen,
            "pending": pending,
            "in_progress": in_progress,
            "reminder_days": referrals.reminder_days(),
            "expiry_days": referrals.expiry_days(),
            "current": "inbox",
        },
    )


@require_role(*PROFESSIONALS)
def referral_list(request):
    """Referrals of the people the user follows, whoever sent them."""
    status = request.GET.get("statut", "")
    if status not in Referral.Status.values:
        status = ""
    page = _page(request, queries_referrals.of_my_follow_ups(request.scope, status))
    services.audit_list_read(
        [r.follow_up.beneficiary for r in page.object_list],
        by=request.user,
        request=request,
        what="orientations",
    )
    return render(
        request,
        "followup/referrals/list.html",
        {
            "title": "Orientations de mes bénéficiaires",
            "page_obj": page,
            "status": status,
            "statuses": Referral.Status.choices,
            "current": "list",
        },
    )


@require_role(*PROFESSIONALS)
def referral_create(request):
    """Orient a person to a service: ``?service=<id>&beneficiary=<id>`` preset the choices."""
    scope = request.scope
    beneficiary = service = None
    if pk := _int(request.GET.get("beneficiary")):
        beneficiary = access.get_beneficiary(scope, pk)
    if pk := _int(request.GET.get("service")):
        service = partner_queries.get_service(scope.territory, pk)
    beneficiaries = (
        access.visible_beneficiaries(scope)
        .filter(follow_up__status=FollowUp.Status.OPEN)
        .order_by("last_name", "first_name", "pk")
    )
    barriers = None
    if beneficiary is not None:
        barriers = Barrier.objects.filter(follow_up=beneficiary.follow_up).order_by("category", "thematique")
    form = ReferralForm(
        request.POST or None,
        initial={"beneficiary": beneficiary, "service": service},
        beneficiaries=beneficiaries,
        services=partner_queries.services(scope.territory).order_by("organisation__name", "name", "pk"),
        barriers=barriers,
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["beneficiary"]
        barrier = form.cleaned_data.get("barrier")
        try:
            referral = referrals.create_referral(
                chosen.follow_up,
                form.cleaned_data["service"],
                by=request.user,
                message=form.cleaned_data["message"],
                barrier=barrier if barrier and barrier.follow_up_id == chosen.follow_up.pk else None,
                send=request.POST.get("action") != "draft",
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            if referral.status == Referral.Status.SENT:
                messages.success(
                    request,
                    f"Orientation envoyée à « {referral.receiving_organisation.name} » : ses professionnels sont "
                    "prévenus par courriel.",
                )
            else:
                messages.success(request, "Brouillon enregistré : envoyez-le quand il est prêt.")
            return redirect("followup:referral_detail", referral.pk)
    if beneficiary is not None:
        services.audit_beneficiary(
            "read", beneficiary, by=request.user, what="orientation (formulaire)", request=request
        )
    consent_missing = False
    if beneficiary is not None and service is not None:
        mine = services.member_of(beneficiary.follow_up, request.user)
        consent_missing = (
            mine is not None
            and mine.organisation_id != service.organisation_id
            and not services.has_active_consent(beneficiary)
        )
    return render(
        request,
        "followup/referrals/create.html",
        {
            "title": "Orienter vers un service",
            "form": form,
            "beneficiary": beneficiary,
            "service": service,
            "service_labels": _service_labels(service) if service else None,
            "consent_missing": consent_missing,
            "current": "list",
        },
    )


def _service_labels(service) -> dict:
    return {
        "mobilisation_modes": [enums.label(m) for m in service.mobilisation_modes],
        "publics": [enums.label(p) for p in service.publics],
        "thematiques": [enums.label(t) for t in service.thematiques],
    }


def _detail_context(request, referral: Referral, **forms) -> dict:
    user = request.user
    is_member = services.member_of(referral.follow_up, user) is not None
    is_receiver = referrals.receives(user, referral.receiving_organisation)
    _label_people([referral])
    actions = referrals.allowed_actions(referral, user)
    return {
        "title": f"Orientation n° {referral.pk}",
        "referral": referral,
        "beneficiary": referral.follow_up.beneficiary,
        "history": queries_referrals.history(referral),
        "barrier_label": enums.label(referral.barrier.thematique) if referral.barrier_id else "",
        "is_member": is_member,
        "is_receiver": is_receiver,
        "actions": actions,
        "accept_form": forms.get("accept_form") or AcceptForm(),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "step_form": StepForm(),
        "can_join": is_receiver and not is_member and referral.follow_up.status == FollowUp.Status.OPEN,
        "consent_missing": (
            "send" in actions
            and referral.sender_organisation_id != referral.receiving_organisation_id
            and not services.has_active_consent(referral.follow_up.beneficiary)
        ),
        "current": "inbox" if is_receiver and not is_member else "list",
    }


def _render_detail(request, referral: Referral, status: int = 200, **forms):
    services.audit_beneficiary(
        "read",
        referral.follow_up.beneficiary,
        by=request.user,
        what="orientation",
        request=request,
        referral=referral.pk,
    )
    return render(
        request, "followup/referrals/detail.html", _detail_context(request, referral, **forms), status=status
    )


@require_role(*PROFESSIONALS)
def referral_detail(request, pk):
    return _render_detail(request, queries_referrals.get_referral(request.scope, pk))


def _after(request, referral: Referral):
    """Back to the referral while the user may still read it, else to the inbox."""
    if queries_referrals.visible_referrals(request.scope).filter(pk=referral.pk).exists():
        return redirect("followup:referral_detail", referral.pk)
    return redirect("followup:inbox")


@require_role(*PROFESSIONALS)
@require_POST
def referral_send(request, pk):
    referral = queries_referrals.get_referral(request.scope, pk)
    try:
        referrals.send_referral(referral, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Orientation envoyée à « {referral.receiving_organisation.name} » : ses professionnels sont prévenus.",
        )
    return redirect("followup:referral_detail", referral.pk)


@require_role(*PROFESSIONALS)
@require_POST
def referral_delete(request, pk):
    referral = queries_referrals.get_referral(request.scope, pk)
    beneficiary_pk = referral.follow_up.beneficiary_id
    try:
        referrals.delete_draft(referral, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
        return redirect("followup:referral_detail", referral.pk)
    messages.success(request, "Brouillon supprimé.")
    return redirect("followup:beneficiary", beneficiary_pk)


@require_role(*PROFESSIONALS)
@require_POST
def referral_accept(request, pk):
    referral = queries_referrals.get_referral(request.scope, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, accept_form=form)
    try:
        referrals.accept_referral(
            referral,
            by=request.user,
            join=form.cleaned_data["join"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        joined = (
            form.cleaned_data["join"] and services.member_of(referral.follow_up, request.user) is not None
        )
        messages.success(
            request,
            "Orientation acceptée : le professionnel qui a orienté est prévenu."
            + (" Vous avez rejoint le suivi de la personne." if joined else ""),
        )
    return _after(request, referral)


@require_role(*PROFESSIONALS)
@require_POST
def referral_refuse(request, pk):
    referral = queries_referrals.get_referral(request.scope, pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, referral, status=400, refuse_form=form)
    try:
        referrals.refuse_referral(
            referral,
            by=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except services.FollowUpError as error:
        messages.error(request, error.message)
        return redirect("followup:referral_detail", referral.pk)
    messages.success(
        request, "Orientation refusée : le professionnel qui a orienté est prévenu, avec le motif."
    )
    return _after(request, referral)


def _step(request, pk, name: str):
    referral = queries_referrals.get_referral(request.scope, pk)
    form = StepForm(request.POST)
    function, done = STEPS[name]
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        function(referral, by=request.user, note=note, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
        return redirect("followup:referral_detail", referral.pk)
    messages.success(request, done)
    return _after(request, referral)


@require_role(*PROFESSIONALS)
@require_POST
def referral_start(request, pk):
    return _step(request, pk, "start")


@require_role(*PROFESSIONALS)
@require_POST
def referral_complete(request, pk):
    return _step(request, pk, "complete")


@require_role(*PROFESSIONALS)
@require_POST
def referral_abandon(request, pk):
    return _step(request, pk, "abandon")


@require_role("coordinator")
def referral_stats(request):
    """Median answer time by receiving organisation and overall: aggregates, under statistical secrecy."""
    territory = request.scope.territory
    form = PeriodForm(request.GET or None)
    period = form.period()
    return render(
        request,
        "followup/referrals/stats.html",
        {
            "title": "Délais de réponse aux orientations",
            "form": form,
            "overall": queries_referrals.median_answer_time(territory, period),
            "rows": queries_referrals.answer_times_by_organisation(territory, period),
            "current": "stats",
        },
    )


# --- cohorts ------------------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def cohort_list(request):
    cohorts = list(queries_reviews.cohorts(request.scope))
    for cohort in cohorts:
        cohort.size_label = queries_reviews.size_label(cohort.size)
        cohort.closed = reviews.is_closed(cohort)
    return render(
        request,
        "followup/reviews/cohort_list.html",
        {
            "title": "Cohortes",
            "cohorts": cohorts,
            "can_create": request.scope.has_role("coordinator"),
            "current": "cohorts",
        },
    )


def _cohort_form_page(request, form, cohort=None):
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("name", "entry_on", "exit_on")}
        try:
            if cohort is None:
                cohort = reviews.create_cohort(
                    request.scope.territory, by=request.user, request=request, **fields
                )
            else:
                reviews.update_cohort(cohort, by=request.user, request=request, **fields)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Cohorte enregistrée.")
            return redirect("followup:cohort_detail", cohort.pk)
    title = f"Modifier la cohorte « {cohort.name} »" if cohort else "Nouvelle cohorte"
    return render(
        request,
        "followup/reviews/simple_form.html",
        {"title": title, "form": form, "cancel": "followup:cohort_list", "current": "cohorts"},
    )


@require_role("coordinator")
def cohort_create(request):
    return _cohort_form_page(request, CohortForm(request.POST or None))


@require_role("coordinator")
def cohort_edit(request, pk):
    cohort = queries_reviews.get_cohort(request.scope, pk)
    return _cohort_form_page(request, CohortForm(request.POST or None, instance=cohort), cohort)


@require_role(*PROFESSIONALS)
def cohort_detail(request, pk):
    cohort = queries_reviews.get_cohort(request.scope, pk)
    people = list(queries_reviews.cohort_beneficiaries(cohort, request.scope))
    services.audit_list_read(people, by=request.user, request=request, what="cohorte")
    closed = reviews.is_closed(cohort)
    add_form = None
    if not closed:
        add_form = AddBeneficiaryForm(
            beneficiaries=queries_reviews.addable_beneficiaries(request.scope, cohort=cohort)
        )
    return render(
        request,
        "followup/reviews/cohort_detail.html",
        {
            "title": cohort.name,
            "cohort": cohort,
            "people": people,
            "size_label": queries_reviews.size_label(cohort.size),
            "others": cohort.size - len(people),
            "closed": closed,
            "add_form": add_form,
            "can_edit": request.scope.has_role("coordinator"),
            "current": "cohorts",
        },
    )


@require_role(*PROFESSIONALS)
@require_POST
def cohort_add(request, pk):
    cohort = queries_reviews.get_cohort(request.scope, pk)
    _add_person(
        request,
        queries_reviews.addable_beneficiaries(request.scope, cohort=cohort),
        lambda follow_up: reviews.add_to_cohort(cohort, follow_up, by=request.user, request=request),
        "{} entre dans la cohorte.",
    )
    return redirect("followup:cohort_detail", cohort.pk)


def _add_person(request, addable, add, done: str) -> None:
    """Add the person chosen in the POSTed form (one of ``addable``) with ``add(follow_up)``; say how it went."""
    form = AddBeneficiaryForm(request.POST, beneficiaries=addable)
    if not form.is_valid():
        messages.error(request, "Choisissez une des personnes que vous suivez.")
        return
    beneficiary = form.cleaned_data["beneficiary"]
    try:
        add(beneficiary.follow_up)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(beneficiary))


@require_role(*PROFESSIONALS)
@require_POST
def cohort_remove(request, pk, beneficiary_pk):
    cohort = queries_reviews.get_cohort(request.scope, pk)
    beneficiary = access.get_beneficiary(request.scope, beneficiary_pk)
    try:
        reviews.remove_from_cohort(cohort, beneficiary.follow_up, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{beneficiary} est retiré·e de la cohorte.")
    return redirect("followup:cohort_detail", cohort.pk)


# --- case reviews -------------------------------------------------------------------------------


@require_role(*PROFESSIONALS)
def review_list(request):
    return render(
        request,
        "followup/reviews/review_list.html",
        {
            "title": "Instances de coordination",
            "page_obj": _page(
                request, queries_reviews.reviews(request.scope).prefetch_related("organisations")
            ),
            "current": "reviews",
        },
    )


def _review_form_page(request, form, review=None):
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("title", "held_on", "organisations")}
        try:
            if review is None:
                review = reviews.create_review(
                    request.scope.territory, by=request.user, request=request, **fields
                )
            else:
                reviews.update_review(review, by=request.user, request=request, **fields)
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Instance enregistrée.")
            return redirect("followup:review_detail", review.pk)
    title = "Modifier l'instance" if review else "Nouvelle instance de coordination"
    return render(
        request,
        "followup/reviews/simple_form.html",
        {"title": title, "form": form, "cancel": "followup:review_list", "current": "reviews"},
    )


@require_role(*PROFESSIONALS)
def review_create(request):
    territory = request.scope.territory
    mine = [m.organisation_id for m in request.scope.memberships if m.role in PROFESSIONALS]
    form = CaseReviewForm(request.POST or None, territory=territory, initial={"organisations": mine})
    return _review_form_page(request, form)


@require_role(*PROFESSIONALS)
def review_edit(request, pk):
    review = queries_reviews.get_review(request.scope, pk)
    if not reviews.can_edit_review(review, request.user):
        raise PermissionDenied(
            "Seules la personne qui a créé l'instance et la coordination peuvent la modifier."
        )
    form = CaseReviewForm(request.POST or None, instance=review, territory=request.scope.territory)
    return _review_form_page(request, form, review)


def _review_context(request, review) -> dict:
    lines = queries_reviews.agenda(review, request.scope)
    is_participant = bool(reviews.participant_organisation_ids(review, request.user))
    return {
        "review": review,
        "lines": lines,
        "organisations": queries_reviews.participants(review),
        "hidden_count": sum(1 for line in lines if not line.visible),
        "is_participant": is_participant,
        "generated_at": timezone.now(),
        "viewer": request.user,
    }


def _audit_agenda(request, lines, action: str, what: str) -> None:
    people = [line.item.follow_up.beneficiary for line in lines if line.visible]
    if action == AuditEntry.Action.READ:
        services.audit_list_read(people, by=request.user, request=request, what=what)
    else:
        for beneficiary in people:
            services.audit_beneficiary(action, beneficiary, by=request.user, what=what, request=request)


@require_role(*PROFESSIONALS)
def review_detail(request, pk):
    review = queries_reviews.get_review(request.scope, pk)
    context = _review_context(request, review)
    _audit_agenda(request, context["lines"], AuditEntry.Action.READ, "instance de coordination")
    add_form = None
    if context["is_participant"]:
        add_form = AddBeneficiaryForm(
            beneficiaries=queries_reviews.addable_beneficiaries(request.scope, review=review)
        )
    return render(
        request,
        "followup/reviews/review_detail.html",
        {
            **context,
            "title": review.title,
            "add_form": add_form,
            "can_edit": reviews.can_edit_review(review, request.user),
            "current": "reviews",
        },
    )


@require_role(*PROFESSIONALS)
@require_POST
def review_item_add(request, pk):
    review = queries_reviews.get_review(request.scope, pk)
    _add_person(
        request,
        queries_reviews.addable_beneficiaries(request.scope, review=review),
        lambda follow_up: reviews.add_item(review, follow_up, by=request.user, request=request),
        "La situation de {} est inscrite à l'ordre du jour.",
    )
    return redirect("followup:review_detail", review.pk)


@require_role(*PROFESSIONALS)
def review_item(request, pk, item_pk):
    """The decision for one person: only members of their follow-up reach this page."""
    review = queries_reviews.get_review(request.scope, pk)
    item = queries_reviews.get_item(review, request.scope, item_pk)
    members = queries_reviews.item_owners(item)
    form = ReviewItemForm(request.POST or None, members=members, item=item)
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data["owner"]
        try:
            reviews.record_decision(
                item,
                by=request.user,
                decision=form.cleaned_data["decision"],
                owner=owner.user if owner else None,
                due_on=form.cleaned_data["due_on"],
                request=request,
            )
        except services.FollowUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Décision enregistrée ; elle figure dans le parcours de la personne.")
            return redirect("followup:review_detail", review.pk)
    beneficiary = item.follow_up.beneficiary
    services.audit_beneficiary(
        "read", beneficiary, by=request.user, what="instance de coordination", request=request
    )
    return render(
        request,
        "followup/reviews/item_form.html",
        {
            "title": "Décision",
            "review": review,
            "item": item,
            "beneficiary": beneficiary,
            "form": form,
            "current": "reviews",
        },
    )


@require_role(*PROFESSIONALS)
@require_POST
def review_item_remove(request, pk, item_pk):
    review = queries_reviews.get_review(request.scope, pk)
    item = queries_reviews.get_item(review, request.scope, item_pk)
    try:
        reviews.remove_item(item, by=request.user, request=request)
    except services.FollowUpError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Situation retirée de l'ordre du jour.")
    return redirect("followup:review_detail", review.pk)


@require_role(*PROFESSIONALS)
def review_minutes(request, pk):
    """The minutes as PDF, written for the reader: the situations they do not follow stay anonymous."""
    review = queries_reviews.get_review(request.scope, pk)
    context = _review_context(request, review)
    try:
        pdf = render_pdf("followup/reviews/minutes_pdf.html", context)
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("followup:review_detail", review.pk)
    _audit_agenda(request, context["lines"], AuditEntry.Action.EXPORT, "compte rendu d'instance (PDF)")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="compte-rendu-instance-{review.pk}-{review.held_on:%Y-%m-%d}.pdf"'
    )
    return response
