"""Pages of the governance: committees, meetings, decisions to follow and the committee pack.

Thin: parse the request, ask ``queries_committees`` (reads) or ``services_committees`` (writes),
render. The coordination writes; elected members and the State's delegate read every page of this
part, the pack included (it holds aggregated figures only, under statistical secrecy). Counsellors
and employers have no page here. A committee, a meeting or a decision of another territory is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.pdf import PdfUnavailable, render_pdf

from . import queries_committees as queries
from . import services_committees as services
from .access import READERS, can_edit, require_editor
from .forms_committees import CommitteeForm, DecisionEditForm, DecisionFilterForm, DecisionForm, MeetingForm

PAGE_SIZE = 50
PRINT_TEMPLATE = "steering/committees/pack_print.html"


def _save(form, write) -> object | None:
    """Run ``write(**cleaned_data)`` for a valid form; a domain error becomes the form's error."""
    if not form.is_valid():
        return None
    try:
        return write(**form.cleaned_data)
    except services.CommitteeError as error:
        form.add_error(None, str(error))
        return None


# --- committees -------------------------------------------------------------------------------------


@require_role(*READERS)
def committee_list(request):
    scope = request.scope
    return render(
        request,
        "steering/committees/list.html",
        {
            "committees": list(queries.committees(scope.territory)),
            "can_edit": can_edit(scope),
            "today": timezone.localdate(),
        },
    )


@require_role(*READERS)
def committee_create(request):
    territory = request.scope.territory
    require_editor(request.scope)
    form = CommitteeForm(request.POST or None, territory=territory)
    if request.method == "POST":
        committee = _save(form, lambda **data: services.create_committee(territory, by=request.user, **data))
        if committee is not None:
            messages.success(request, f"Le comité « {committee.name} » est créé.")
            return redirect("steering:committee", committee.pk)
    return render(
        request,
        "steering/committees/form.html",
        {"form": form, "title": "Nouveau comité", "cancel_url": reverse("steering:committees")},
    )


@require_role(*READERS)
def committee_detail(request, pk: int):
    scope = request.scope
    committee = queries.get_committee(scope.territory, pk)
    meetings = list(queries.committee_meetings(committee))
    upcoming = [m for m in reversed(meetings) if not m.is_past]
    past = [m for m in meetings if m.is_past]
    return render(
        request,
        "steering/committees/detail.html",
        {
            "committee": committee,
            "members": list(queries.committee_members(committee)),
            "upcoming": upcoming,
            "past": past,
            # The meeting the committee's pack is for (queries.next_meeting's rule, without a query).
            "next_meeting": (upcoming or past or [None])[0],
            "can_edit": can_edit(scope),
        },
    )


@require_role(*READERS)
def committee_edit(request, pk: int):
    territory = request.scope.territory
    committee = queries.get_committee(territory, pk)
    require_editor(request.scope)
    initial = {
        "kind": committee.kind,
        "name": committee.name,
        "chairs": committee.chairs,
        "description": committee.description,
        "members": list(committee.members.values_list("pk", flat=True)),
    }
    form = CommitteeForm(request.POST or None, initial=initial, territory=territory)
    if request.method == "POST":
        done = _save(form, lambda **data: services.update_committee(committee, by=request.user, **data))
        if done is not None:
            messages.success(request, "Le comité est modifié.")
            return redirect("steering:committee", committee.pk)
    return render(
        request,
        "steering/committees/form.html",
        {
            "form": form,
            "committee": committee,
            "title": f"Modifier le comité « {committee.name} »",
            "cancel_url": reverse("steering:committee", args=[committee.pk]),
        },
    )


# --- meetings ---------------------------------------------------------------------------------------


@require_role(*READERS)
def meeting_create(request, pk: int):
    committee = queries.get_committee(request.scope.territory, pk)
    require_editor(request.scope)
    form = MeetingForm(request.POST or None, initial={"place": _last_place(committee)})
    if request.method == "POST":
        meeting = _save(form, lambda **data: services.create_meeting(committee, by=request.user, **data))
        if meeting is not None:
            messages.success(request, f"La réunion du {meeting.held_on:%d/%m/%Y} est enregistrée.")
            return redirect("steering:meeting", meeting.pk)
    return render(
        request,
        "steering/committees/meeting_form.html",
        {
            "form": form,
            "committee": committee,
            "title": f"Nouvelle réunion — {committee.name}",
            "cancel_url": reverse("steering:committee", args=[committee.pk]),
        },
    )


def _last_place(committee) -> str:
    last = committee.meetings.order_by("-held_on", "-pk").values_list("place", flat=True).first()
    return last or ""


@require_role(*READERS)
def meeting_detail(request, pk: int):
    scope = request.scope
    meeting = queries.get_meeting(scope.territory, pk)
    return render(
        request,
        "steering/committees/meeting.html",
        {
            "meeting": meeting,
            "committee": meeting.committee,
            "decisions": list(queries.meeting_decisions(meeting)),
            "previous": queries.previous_meeting(meeting),
            "is_past": meeting.held_on <= timezone.localdate(),
            "can_edit": can_edit(scope),
        },
    )


@require_role(*READERS)
def meeting_edit(request, pk: int):
    meeting = queries.get_meeting(request.scope.territory, pk)
    require_editor(request.scope)
    initial = {
        name: getattr(meeting, name) for name in ("held_on", "place", "agenda", "attendees", "minutes")
    }
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = _save(form, lambda **data: services.update_meeting(meeting, by=request.user, **data))
        if done is not None:
            messages.success(request, "La réunion est modifiée.")
            return redirect("steering:meeting", meeting.pk)
    return render(
        request,
        "steering/committees/meeting_form.html",
        {
            "form": form,
            "committee": meeting.committee,
            "meeting": meeting,
            "title": f"Modifier la réunion du {meeting.held_on:%d/%m/%Y}",
            "cancel_url": reverse("steering:meeting", args=[meeting.pk]),
        },
    )


# --- decisions --------------------------------------------------------------------------------------


@require_role(*READERS)
def decision_create(request, pk: int):
    territory = request.scope.territory
    meeting = queries.get_meeting(territory, pk)
    require_editor(request.scope)
    form = DecisionForm(request.POST or None, territory=territory, on=meeting.held_on)
    if request.method == "POST":
        decision = _save(form, lambda **data: services.create_decision(meeting, by=request.user, **data))
        if decision is not None:
            messages.success(request, "La décision est enregistrée.")
            if "another" in request.POST:
                return redirect("steering:decision_create", meeting.pk)
            return redirect("steering:meeting", meeting.pk)
    return render(
        request,
        "steering/committees/decision_form.html",
        {
            "form": form,
            "meeting": meeting,
            "committee": meeting.committee,
            "title": "Nouvelle décision",
            "cancel_url": reverse("steering:meeting", args=[meeting.pk]),
        },
    )


@require_role(*READERS)
def decision_edit(request, pk: int):
    territory = request.scope.territory
    decision = queries.get_decision(territory, pk)
    require_editor(request.scope)
    meeting = decision.meeting
    initial = {
        "text": decision.text,
        "action": str(decision.action_id or ""),
        "owner_organisation": decision.owner_organisation_id,
        "owner": decision.owner,
        "due_on": decision.due_on,
        "status": decision.status,
        "done_on": decision.done_on,
    }
    form = DecisionEditForm(request.POST or None, initial=initial, territory=territory, on=meeting.held_on)
    if request.method == "POST":
        done = _save(form, lambda **data: services.update_decision(decision, by=request.user, **data))
        if done is not None:
            messages.success(request, "La décision est mise à jour.")
            return redirect(_next_url(request) or reverse("steering:meeting", args=[meeting.pk]))
    return render(
        request,
        "steering/committees/decision_form.html",
        {
            "form": form,
            "decision": decision,
            "meeting": meeting,
            "committee": meeting.committee,
            "title": "Suivre la décision",
            "next": _next_url(request),
            "cancel_url": _next_url(request) or reverse("steering:meeting", args=[meeting.pk]),
        },
    )


def _next_url(request) -> str:
    """Back to the list of decisions to follow (with its filters) when the edit came from there."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    decisions = reverse("steering:decisions")
    return wanted if wanted == decisions or wanted.startswith(decisions + "?") else ""


def _decision_filters(request):
    form = DecisionFilterForm(request.GET, territory=request.scope.territory)
    return form, form.filters()


@require_role(*READERS)
def decision_list(request):
    scope = request.scope
    form, filters = _decision_filters(request)
    decisions = queries.decisions_to_follow(scope.territory, **filters)
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "steering/committees/decisions.html",
        {
            "form": form,
            "page_obj": page,
            "extra": query.urlencode(),
            "here": request.get_full_path(),
            "can_edit": can_edit(scope),
        },
    )


@require_role(*READERS)
def decisions_csv(request):
    territory = request.scope.territory
    _, filters = _decision_filters(request)
    body = queries.decisions_csv(queries.decisions_to_follow(territory, **filters).iterator(chunk_size=2000))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="decisions-{territory.slug}-{stamp}.csv"'
    return response


# --- the committee pack -----------------------------------------------------------------------------


def _pack_pdf(request, meeting):
    pack = queries.committee_pack(meeting)
    try:
        pdf = render_pdf(PRINT_TEMPLATE, {"pack": pack})
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("steering:meeting_pack_preview", meeting.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{queries.pack_filename(meeting)}"'
    return response


@require_role(*READERS)
def meeting_pack(request, pk: int):
    return _pack_pdf(request, queries.get_meeting(request.scope.territory, pk))


@require_role(*READERS)
def committee_pack(request, pk: int):
    committee = queries.get_committee(request.scope.territory, pk)
    meeting = queries.next_meeting(committee)
    if meeting is None:
        messages.error(
            request,
            "Ce comité n'a encore aucune réunion : enregistrez la prochaine pour préparer son dossier.",
        )
        return redirect("steering:committee", committee.pk)
    return _pack_pdf(request, meeting)


@require_role(*READERS)
def meeting_pack_preview(request, pk: int):
    meeting = queries.get_meeting(request.scope.territory, pk)
    return render(
        request,
        "steering/committees/pack_preview.html",
        {"pack": queries.committee_pack(meeting), "meeting": meeting, "committee": meeting.committee},
    )
