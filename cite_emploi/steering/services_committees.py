"""Writes of the governance: committees, their meetings and the decisions taken there.

Rules:

* Only the coordination writes (views check ``access.require_editor``); elected members and the
  State's delegate read. Nothing here is personal data: committees gather organisations, meetings
  list the professionals and elected members present, a decision is owned by an organisation and/or
  a professional. The forms say so: never the name of a person followed.
* **Committee**: a nature (COPIL, COTECH, other), a name unique in the territory (whatever the case),
  its chairs (the COPIL is co-chaired by the préfet and the territory's president) and its member
  organisations, all of the territory.
* **Meeting**: a date between 2000 and 2100, one meeting per committee and day. The minutes are
  written once the meeting has taken place, not before. A meeting with decisions cannot move to the
  future, nor after one of its decisions' due or realisation dates.
* **Decision**: a text, its owner (an organisation of the territory, a professional's name, or both —
  at least one), an optional due date not before the meeting, an optional action of one of the
  territory's plans. Decisions are recorded from the day of the meeting on.
* **Follow-up**: a decision is « à faire », « réalisée » or « abandonnée ». Marking it realised
  dates it (``done_on``: today unless given; not in the future, not before the meeting); any other
  status clears that date. Abandoning it needs a note saying why. Each note is appended to the
  decision's follow-up, dated and with the new status when it changed, so the history stays.
* Every mistake a user can make raises ``CommitteeError`` with a French message and writes nothing.
* **Audit**: one entry per write, with the platform's short verbs (« create », « update ») as the
  log's action and the event in ``detail["event"]`` (``steering.committee_created``…).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.partners.models import Organisation

from .models import Action, Committee, Decision, Meeting

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
NAME_MAX, CHAIRS_MAX, PLACE_MAX, OWNER_MAX = 200, 300, 200, 200
TEXT_MAX, LONG_TEXT_MAX, NOTE_MAX = 2000, 20000, 1000

COMMITTEE_CREATED, COMMITTEE_UPDATED = "steering.committee_created", "steering.committee_updated"
MEETING_CREATED, MEETING_UPDATED = "steering.meeting_created", "steering.meeting_updated"
DECISION_CREATED, DECISION_UPDATED = "steering.decision_created", "steering.decision_updated"


class CommitteeError(ValueError):
    """A committee, a meeting or a decision that cannot be written; the message is French."""


def _text(value, what: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CommitteeError(f"Indiquez {what}.")
    if len(text) > limit:
        raise CommitteeError(f"{what[0].upper()}{what[1:]} dépasse {limit} caractères.")
    return text


def _day(value, what: str, *, required: bool = True) -> date | None:
    if value is None and not required:
        return None
    if not isinstance(value, date):
        raise CommitteeError(f"Indiquez {what}.")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise CommitteeError(f"Choisissez pour {what} une date entre l'an 2000 et l'an 2100.")
    return value


def _organisations(territory, organisations) -> list[Organisation]:
    organisations = list(organisations or [])
    if any(o.territory_id != territory.pk for o in organisations):
        raise CommitteeError("Une des structures indiquées n'appartient pas au territoire.")
    return organisations


# --- committees -------------------------------------------------------------------------------------


def _committee_fields(territory, fields: dict, committee: Committee | None = None) -> dict:
    kind = fields.get("kind")
    if kind not in Committee.Kind.values:
        raise CommitteeError("Choisissez la nature du comité : COPIL, COTECH ou autre instance.")
    name = _text(fields.get("name"), "le nom du comité", NAME_MAX, required=True)
    same_name = Committee.objects.filter(territory=territory, name__iexact=name)
    if committee is not None:
        same_name = same_name.exclude(pk=committee.pk)
    if same_name.exists():
        raise CommitteeError(f"Le territoire a déjà un comité nommé « {name} ».")
    return {
        "kind": kind,
        "name": name,
        "chairs": _text(fields.get("chairs"), "la présidence", CHAIRS_MAX),
        "description": _text(fields.get("description"), "le rôle du comité", LONG_TEXT_MAX),
    }


@transaction.atomic
def create_committee(territory, /, *, by, members=(), **fields) -> Committee:
    """A new committee: ``kind``, ``name``, and optionally ``chairs``, ``description``, ``members``."""
    values = _committee_fields(territory, fields)
    organisations = _organisations(territory, members)
    committee = Committee.objects.create(territory=territory, **values)
    committee.members.set(organisations)
    audit.record(
        AuditEntry.Action.CREATE,
        actor=by,
        obj=committee,
        territory_id=territory.pk,
        event=COMMITTEE_CREATED,
        kind=committee.kind,
        members=len(organisations),
    )
    return committee


@transaction.atomic
def update_committee(committee: Committee, /, *, by, members=(), **fields) -> Committee:
    """Change a committee's nature, name, chairs, role or members (the same fields as ``create_committee``)."""
    territory = committee.territory
    values = _committee_fields(territory, fields, committee)
    organisations = _organisations(territory, members)
    changed = [name for name, value in values.items() if getattr(committee, name) != value]
    for name, value in values.items():
        setattr(committee, name, value)
    committee.save()
    before = set(committee.members.values_list("pk", flat=True))
    committee.members.set(organisations)
    if before != {o.pk for o in organisations}:
        changed.append("members")
    audit.record(
        AuditEntry.Action.UPDATE,
        actor=by,
        obj=committee,
        territory_id=territory.pk,
        event=COMMITTEE_UPDATED,
        fields=changed,
    )
    return committee


# --- meetings ---------------------------------------------------------------------------------------


def _meeting_fields(committee: Committee, fields: dict, meeting: Meeting | None = None) -> dict:
    held_on = _day(fields.get("held_on"), "la date de la réunion")
    same_day = Meeting.objects.filter(committee=committee, held_on=held_on)
    if meeting is not None:
        same_day = same_day.exclude(pk=meeting.pk)
    if same_day.exists():
        raise CommitteeError(f"Ce comité a déjà une réunion le {held_on:%d/%m/%Y}.")
    minutes = _text(fields.get("minutes"), "le compte rendu", LONG_TEXT_MAX)
    if minutes and held_on > timezone.localdate():
        raise CommitteeError("Le compte rendu s'écrit une fois la réunion tenue : cette réunion est à venir.")
    if meeting is not None and held_on != meeting.held_on:
        if held_on > timezone.localdate() and meeting.decisions.exists():
            raise CommitteeError(
                "Des décisions ont été prises à cette réunion : elle ne peut pas être déplacée dans le futur."
            )
        first_done = meeting.decisions.filter(done_on__lt=held_on).order_by("done_on").first()
        if first_done is not None:
            raise CommitteeError(
                f"Une décision de cette réunion a été réalisée le {first_done.done_on:%d/%m/%Y} : "
                "la réunion ne peut pas avoir lieu après."
            )
        first_due = meeting.decisions.filter(due_on__lt=held_on).order_by("due_on").first()
        if first_due is not None:
            raise CommitteeError(
                f"Une décision de cette réunion arrive à échéance le {first_due.due_on:%d/%m/%Y} : "
                "la réunion ne peut pas avoir lieu après."
            )
    return {
        "held_on": held_on,
        "place": _text(fields.get("place"), "le lieu", PLACE_MAX),
        "attendees": _text(fields.get("attendees"), "la liste des participants", LONG_TEXT_MAX),
        "agenda": _text(fields.get("agenda"), "l'ordre du jour", LONG_TEXT_MAX),
        "minutes": minutes,
    }


@transaction.atomic
def create_meeting(committee: Committee, /, *, by, **fields) -> Meeting:
    """A meeting of ``committee``: ``held_on``, and optionally ``place``, ``attendees``, ``agenda``, ``minutes``."""
    values = _meeting_fields(committee, fields)
    meeting = Meeting.objects.create(
        committee=committee, created_by=by if getattr(by, "is_authenticated", False) else None, **values
    )
    audit.record(
        AuditEntry.Action.CREATE,
        actor=by,
        obj=meeting,
        territory_id=committee.territory_id,
        event=MEETING_CREATED,
        committee=committee.pk,
        held_on=meeting.held_on.isoformat(),
    )
    return meeting


@transaction.atomic
def update_meeting(meeting: Meeting, /, *, by, **fields) -> Meeting:
    """Change a meeting's date, place, attendees, agenda or minutes."""
    values = _meeting_fields(meeting.committee, fields, meeting)
    changed = [name for name, value in values.items() if getattr(meeting, name) != value]
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.save()
    audit.record(
        AuditEntry.Action.UPDATE,
        actor=by,
        obj=meeting,
        territory_id=meeting.committee.territory_id,
        event=MEETING_UPDATED,
        fields=changed,
    )
    return meeting


# --- decisions --------------------------------------------------------------------------------------


def _decision_fields(meeting: Meeting, fields: dict) -> dict:
    territory_id = meeting.committee.territory_id
    text = _text(fields.get("text"), "la décision", TEXT_MAX, required=True)
    owner = _text(fields.get("owner"), "le nom du responsable", OWNER_MAX)
    organisation = fields.get("owner_organisation")
    if organisation is not None and organisation.territory_id != territory_id:
        raise CommitteeError("La structure responsable n'appartient pas au territoire.")
    if not owner and organisation is None:
        raise CommitteeError("Indiquez qui porte la décision : une structure, une personne, ou les deux.")
    action = fields.get("action")
    if (
        action is not None
        and not Action.objects.filter(pk=action.pk, plan__territory_id=territory_id).exists()
    ):
        raise CommitteeError("Cette action n'appartient à aucun plan d'actions du territoire.")
    due_on = _day(fields.get("due_on"), "l'échéance", required=False)
    if due_on is not None and due_on < meeting.held_on:
        raise CommitteeError(
            f"L'échéance ne peut pas précéder la réunion où la décision est prise ({meeting.held_on:%d/%m/%Y})."
        )
    return {
        "text": text,
        "owner": owner,
        "owner_organisation": organisation,
        "action": action,
        "due_on": due_on,
    }


@transaction.atomic
def create_decision(meeting: Meeting, /, *, by, **fields) -> Decision:
    """A decision taken at ``meeting``: ``text``, ``owner`` and/or ``owner_organisation``, and optionally
    ``due_on`` and ``action``. It starts « à faire »."""
    if meeting.held_on > timezone.localdate():
        raise CommitteeError(
            "Cette réunion n'a pas encore eu lieu : ses décisions s'enregistrent à partir du jour de la réunion."
        )
    decision = Decision.objects.create(meeting=meeting, **_decision_fields(meeting, fields))
    audit.record(
        AuditEntry.Action.CREATE,
        actor=by,
        obj=decision,
        territory_id=meeting.committee.territory_id,
        event=DECISION_CREATED,
        meeting=meeting.pk,
        due_on=decision.due_on.isoformat() if decision.due_on else None,
    )
    return decision


def _follow_up_line(day: date, note: str, status_label: str | None) -> str:
    if status_label and note:
        return f"{day:%d/%m/%Y} ({status_label.lower()}) : {note}"
    if status_label:
        return f"{day:%d/%m/%Y} : décision passée à « {status_label} »."
    return f"{day:%d/%m/%Y} : {note}"


@transaction.atomic
def update_decision(
    decision: Decision,
    /,
    *,
    by,
    status: str | None = None,
    note: str = "",
    done_on: date | None = None,
    **fields,
) -> Decision:
    """Change a decision and follow it up.

    ``fields`` are those of ``create_decision``. ``status`` (unchanged when None) moves it between
    « à faire », « réalisée » and « abandonnée »; ``note`` is appended to its follow-up, dated;
    ``done_on`` dates its realisation (today by default).
    """
    meeting = decision.meeting
    today = timezone.localdate()
    values = _decision_fields(meeting, fields)
    status = status or decision.status
    if status not in Decision.Status.values:
        raise CommitteeError("Choisissez le statut de la décision : à faire, réalisée ou abandonnée.")
    note = _text(note, "la note de suivi", NOTE_MAX)
    if status == Decision.Status.DONE:
        done_on = _day(done_on, "la date de réalisation", required=False) or decision.done_on or today
        if done_on > today:
            raise CommitteeError("La date de réalisation ne peut pas être dans le futur.")
        if done_on < meeting.held_on:
            raise CommitteeError(
                f"La décision ne peut pas être réalisée avant la réunion où elle a été prise ({meeting.held_on:%d/%m/%Y})."
            )
    else:
        done_on = None
    if status == Decision.Status.CANCELLED and decision.status != status and not note:
        raise CommitteeError("Expliquez dans la note de suivi pourquoi la décision est abandonnée.")
    previous_status = decision.status
    status_changed = status != previous_status
    changed = [name for name, value in values.items() if getattr(decision, name) != value]
    if decision.done_on != done_on:
        changed.append("done_on")
    for name, value in values.items():
        setattr(decision, name, value)
    decision.status, decision.done_on = status, done_on
    if note or status_changed:
        line = _follow_up_line(today, note, Decision.Status(status).label if status_changed else None)
        decision.follow_up = f"{decision.follow_up.rstrip()}\n{line}".strip()
        changed.append("follow_up")
    decision.save()
    detail = {"fields": changed}
    if status_changed:
        detail.update(status_from=previous_status, status_to=status)
    audit.record(
        AuditEntry.Action.UPDATE,
        actor=by,
        obj=decision,
        territory_id=meeting.committee.territory_id,
        event=DECISION_UPDATED,
        **detail,
    )
    return decision
