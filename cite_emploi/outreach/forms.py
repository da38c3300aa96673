"""Forms of the aller-vers: they parse input; the rules live in ``services``."""

from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone

from cite_emploi.accounts.models import User
from cite_emploi.core.forms import DsfrForm
from cite_emploi.followup import queries as followup_queries
from cite_emploi.followup.access import PROFESSIONAL_ROLES
from cite_emploi.followup.models import Beneficiary
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.models import QPV, Commune

from . import queries, services
from .models import OutreachAction, OutreachKind, OutreachSeries

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Dates far outside the life of the platform are typing errors (and overflow once made aware).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MAX_COUNT = 100_000


class QpvChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OrganisationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


def staff_queryset(territory):
    """Professionals (coordination, counsellors) with an active membership in the territory."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation__territory=territory,
            memberships__role__in=PROFESSIONAL_ROLES,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


# --- filters ------------------------------------------------------------------------------------


class DayField(forms.DateField):
    widget = DATE

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError("Choisissez une date entre l'an 2000 et l'an 2100.")


class PeriodMixin:
    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError("La date de début doit précéder la date de fin.")
        return data


class ActionFilterForm(PeriodMixin, DsfrForm):
    du = DayField(label="Du", required=False)
    au = DayField(label="Au", required=False)
    nature = forms.ChoiceField(label="Nature", required=False)
    quartier = forms.ChoiceField(label="Quartier", required=False)
    structure = forms.ChoiceField(label="Structure présente", required=False)
    statut = forms.ChoiceField(label="Statut", required=False)

    def __init__(self, *args, territory, with_status: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nature"].choices = [("", "Toutes"), *OutreachKind.choices]
        self.fields["quartier"].choices = [
            ("", "Tous"),
            *[(str(q.pk), q.name) for q in queries.perimeter_qpvs(territory)],
        ]
        self.fields["structure"].choices = [
            ("", "Toutes"),
            *[(str(o.pk), o.name) for o in queries.present_organisations(territory)],
        ]
        if with_status:
            self.fields["statut"].choices = [("", "Tous"), *OutreachAction.Status.choices]
        else:
            del self.fields["statut"]

    def filters(self) -> queries.ActionFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return queries.ActionFilters(
            start=data.get("du"),
            end=data.get("au"),
            kind=data.get("nature", ""),
            qpv_id=int(data["quartier"]) if data.get("quartier") else None,
            organisation_id=int(data["structure"]) if data.get("structure") else None,
            status=data.get("statut", ""),
        )

    def query_string(self) -> str:
        """The filters as a query string, for the pagination links."""
        data = self.cleaned_data if self.is_valid() else {}
        parts = []
        for name in self.fields:
            value = data.get(name)
            if value:
                parts.append(f"{name}={value.isoformat() if isinstance(value, date) else value}")
        return "&".join(parts)


class ResultsForm(PeriodMixin, DsfrForm):
    du = DayField(label="Du", required=False)
    au = DayField(label="Au", required=False)
    commune = forms.ChoiceField(label="Commune", required=False)

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [
            ("", "Toutes"),
            *[(str(c.pk), c.name) for c in followup_queries.territory_communes(territory).only("pk", "name")],
        ]

    def period(self) -> tuple[date, date]:
        """The period chosen; by default the last twelve months, this one included."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        end = data.get("au") or today
        default_start = date(end.year - 1, end.month, 1) + timedelta(days=32)
        start = data.get("du") or default_start.replace(day=1)
        return start, end

    def commune_ids(self) -> list[int] | None:
        data = self.cleaned_data if self.is_valid() else {}
        return [int(data["commune"])] if data.get("commune") else None

    def query_string(self) -> str:
        start, end = self.period()
        commune = self.commune_ids()
        return f"du={start.isoformat()}&au={end.isoformat()}" + (f"&commune={commune[0]}" if commune else "")


# --- place (actions and series) -----------------------------------------------------------------


class PlaceFields(forms.Form):
    qpv = QpvChoice(
        label="Quartier prioritaire",
        queryset=QPV.objects.none(),
        required=False,
        empty_label="Hors quartier prioritaire ou point sur la carte",
    )
    commune = CommuneChoice(
        label="Commune",
        queryset=Commune.objects.none(),
        required=False,
        empty_label="Déduite du quartier ou du point",
    )
    place_label = forms.CharField(
        label="Lieu",
        max_length=200,
        required=False,
        help_text="Par exemple « Centre social Kennedy » ou « Marché du Mont-Mesly, allée centrale ».",
    )
    latitude = forms.FloatField(
        label="Latitude",
        required=False,
        min_value=-90,
        max_value=90,
        help_text="Facultatif : un point précis sur la carte, en degrés décimaux (par exemple 48.7794).",
    )
    longitude = forms.FloatField(
        label="Longitude",
        required=False,
        min_value=-180,
        max_value=180,
        help_text="Par exemple 2.4631. Sans quartier choisi, le quartier est déduit du point.",
    )

    def setup_place(self, territory, instance=None):
        self.fields["qpv"].queryset = queries.perimeter_qpvs(territory)
        self.fields["commune"].queryset = followup_queries.territory_communes(territory).defer("geometry")
        if instance is not None and instance.pk:
            for name in ("qpv", "commune", "place_label", "latitude", "longitude"):
                self.initial.setdefault(name, getattr(instance, name))

    def place(self) -> services.PlaceInput:
        data = self.cleaned_data
        return services.PlaceInput(
            qpv=data.get("qpv"),
            commune=data.get("commune"),
            place_label=data.get("place_label", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )


class ActionForm(PlaceFields, DsfrForm):
    kind = forms.ChoiceField(label="Nature de l'action", choices=OutreachKind.choices)
    title = forms.CharField(
        label="Intitulé",
        max_length=200,
        help_text="Par exemple « Stand emploi au marché du Mont-Mesly ».",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    day = DayField(label="Date")
    at = forms.TimeField(label="Heure de début", widget=TIME)
    duration_minutes = forms.IntegerField(
        label="Durée (minutes)", min_value=1, max_value=services.MAX_DURATION_MINUTES, initial=120
    )
    organisations = OrganisationChoices(label="Structures présentes", queryset=Organisation.objects.none())
    staff = StaffChoices(
        label="Professionnels présents",
        queryset=User.objects.none(),
        required=False,
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
    )

    field_order = [
        "kind",
        "title",
        "description",
        "day",
        "at",
        "duration_minutes",
        "qpv",
        "commune",
        "place_label",
        "latitude",
        "longitude",
        "organisations",
        "staff",
    ]

    def __init__(self, *args, territory, instance: OutreachAction | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_place(territory, instance)
        self.fields["organisations"].queryset = queries.present_organisations(territory)
        self.fields["staff"].queryset = staff_queryset(territory)
        if instance is not None and instance.pk:
            local = timezone.localtime(instance.starts_at)
            self.initial.update(
                {
                    "kind": instance.kind,
                    "title": instance.title,
                    "description": instance.description,
                    "day": local.date(),
                    "at": local.time().replace(second=0, microsecond=0),
                    "duration_minutes": instance.duration_minutes,
                    "organisations": list(instance.organisations.all()),
                    "staff": list(instance.staff.all()),
                }
            )
        elif user is not None:
            mine = queries.present_organisations(territory).filter(
                memberships__user=user, memberships__is_active=True
            )
            self.initial.setdefault("organisations", list(mine))
            self.initial.setdefault("staff", [user.pk])

    def action_input(self) -> services.ActionInput:
        data = self.cleaned_data
        starts_at = timezone.make_aware(
            datetime.combine(data["day"], data["at"]), timezone.get_current_timezone()
        )
        return services.ActionInput(
            kind=data["kind"],
            title=data["title"],
            description=data.get("description", ""),
            starts_at=starts_at,
            duration_minutes=data["duration_minutes"],
            place=self.place(),
        )


class SeriesForm(PlaceFields, DsfrForm):
    kind = forms.ChoiceField(label="Nature", choices=OutreachKind.choices, initial=OutreachKind.PERMANENCE)
    title = forms.CharField(
        label="Intitulé", max_length=200, help_text="Par exemple « Permanence emploi des Bleuets »."
    )
    weekday = forms.TypedChoiceField(
        label="Jour", coerce=int, choices=OutreachSeries._meta.get_field("weekday").choices
    )
    start_time = forms.TimeField(label="Heure de début", widget=TIME)
    duration_minutes = forms.IntegerField(
        label="Durée (minutes)", min_value=1, max_value=services.MAX_DURATION_MINUTES, initial=180
    )
    every_weeks = forms.IntegerField(
        label="Toutes les … semaines",
        min_value=1,
        max_value=52,
        initial=1,
        help_text="1 : chaque semaine ; 2 : une semaine sur deux…",
    )
    starts_on = DayField(label="Première date")
    ends_on = DayField(label="Dernière date")
    organisations = OrganisationChoices(
        label="Structures qui tiennent la permanence", queryset=Organisation.objects.none()
    )

    field_order = [
        "kind",
        "title",
        "weekday",
        "start_time",
        "duration_minutes",
        "every_weeks",
        "starts_on",
        "ends_on",
        "qpv",
        "commune",
        "place_label",
        "latitude",
        "longitude",
        "organisations",
    ]

    def __init__(self, *args, territory, instance: OutreachSeries | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_place(territory, instance)
        self.fields["organisations"].queryset = queries.present_organisations(territory)
        if instance is not None and instance.pk:
            for name in (
                "kind",
                "title",
                "weekday",
                "start_time",
                "duration_minutes",
                "every_weeks",
                "starts_on",
                "ends_on",
            ):
                self.initial[name] = getattr(instance, name)
            self.initial["organisations"] = list(instance.organisations.all())
        elif user is not None:
            mine = queries.present_organisations(territory).filter(
                memberships__user=user, memberships__is_active=True
            )
            self.initial.setdefault("organisations", list(mine))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "La dernière date ne peut pas précéder la première.")
        return data

    def series_input(self) -> services.SeriesInput:
        data = self.cleaned_data
        return services.SeriesInput(
            kind=data["kind"],
            title=data["title"],
            weekday=data["weekday"],
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            every_weeks=data["every_weeks"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            place=self.place(),
        )


# --- report -------------------------------------------------------------------------------------


def grid_field_name(age: str, sex: str) -> str:
    return f"rencontres_{age or 'na'}_{sex or 'na'}"


class ReportForm(DsfrForm):
    status = forms.ChoiceField(
        label="L'action a-t-elle eu lieu ?",
        choices=[
            (OutreachAction.Status.DONE, "Oui, elle a été réalisée"),
            (OutreachAction.Status.CANCELLED, "Non, elle a été annulée"),
        ],
        widget=forms.RadioSelect,
    )
    contacts_left = forms.IntegerField(
        label="Personnes ayant laissé leurs coordonnées", min_value=0, max_value=MAX_COUNT, initial=0
    )
    organisations = OrganisationChoices(label="Structures présentes", queryset=Organisation.objects.none())
    staff = StaffChoices(
        label="Professionnels présents",
        queryset=User.objects.none(),
        required=False,
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
    )
    notes = forms.CharField(
        label="Bilan",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Ce qui a marché, les demandes entendues, les suites à donner. Aucun nom de personne.",
    )

    def __init__(self, *args, action: OutreachAction, territory, **kwargs):
        super().__init__(*args, **kwargs)
        grid = queries.reached_grid(action)
        for age in services.AGE_GROUPS:
            for sex in services.SEXES:
                name = grid_field_name(age, sex)
                self.fields[name] = forms.IntegerField(
                    label=f"{queries.AGE_LABELS[age]} — {queries.SEX_LABELS[sex].lower()}",
                    min_value=0,
                    max_value=MAX_COUNT,
                    required=False,
                    initial=grid.get((age, sex), 0),
                    widget=forms.NumberInput(attrs={"class": "fr-input", "inputmode": "numeric"}),
                )
        self.fields["organisations"].queryset = queries.present_organisations(territory)
        self.fields["staff"].queryset = staff_queryset(territory)
        self.initial.setdefault(
            "status",
            action.status if action.status != OutreachAction.Status.PLANNED else OutreachAction.Status.DONE,
        )
        self.initial.setdefault("contacts_left", action.contacts_left)
        self.initial.setdefault("notes", action.notes)
        self.initial.setdefault("organisations", list(action.organisations.all()))
        self.initial.setdefault("staff", list(action.staff.all()))

    def grid(self) -> list[dict]:
        """Rows of the grid for the template: one per age group, one bound field per sex."""
        return [
            {
                "label": queries.AGE_LABELS[age],
                "cells": [self[grid_field_name(age, sex)] for sex in services.SEXES],
            }
            for age in services.AGE_GROUPS
        ]

    def sex_labels(self) -> list[str]:
        return [queries.SEX_LABELS[sex] for sex in services.SEXES]

    def report_input(self) -> services.ReportInput:
        data = self.cleaned_data
        return services.ReportInput(
            status=data["status"],
            reached={
                (age, sex): data.get(grid_field_name(age, sex)) or 0
                for age in services.AGE_GROUPS
                for sex in services.SEXES
            },
            contacts_left=data.get("contacts_left") or 0,
            notes=data.get("notes", ""),
        )


# --- origins ------------------------------------------------------------------------------------


class BeneficiaryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.last_name.upper()} {obj.first_name} (entrée le {obj.follow_up.opened_on:%d/%m/%Y})"


class OriginPersonForm(DsfrForm):
    """On an action's page: one of the people the user follows whose follow-up started there."""

    beneficiary = BeneficiaryChoice(
        label="Personne", queryset=Beneficiary.objects.none(), empty_label="Choisir"
    )

    def __init__(self, *args, people, **kwargs):
        kwargs.setdefault("auto_id", "origine_%s")
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = people.select_related("follow_up")


class ActionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        where = f" — {obj.qpv.name}" if obj.qpv_id else ""
        return f"{timezone.localtime(obj.starts_at):%d/%m/%Y} — {obj.title}{where}"


class OriginActionForm(DsfrForm):
    """On a person's page: the action their follow-up started from."""

    action = ActionChoice(
        label="Action d'aller-vers", queryset=OutreachAction.objects.none(), empty_label="Choisir"
    )

    def __init__(self, *args, candidates, **kwargs):
        kwargs.setdefault("auto_id", "aller_vers_%s")
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = candidates
