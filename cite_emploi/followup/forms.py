"""Forms of the shared follow-up: they parse and check input; the rules live in ``services``."""

import re
from functools import cache, lru_cache

from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe

from cite_emploi.core.forms import DsfrForm
from cite_emploi.partners import enums
from cite_emploi.territory.geocoder import geocoder_configured
from cite_emploi.territory.models import QPV, Commune, RomeAppellation

from . import queries, services
from .models import (
    AgeGroup,
    Barrier,
    Beneficiary,
    Consent,
    FollowUp,
    Outcome,
    ProfessionalProject,
    SituationFact,
    TimelineEvent,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
FT_ID = re.compile(r"^[0-9A-Z]{6,11}$")
PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class QpvChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class BeneficiaryForm(DsfrForm, forms.ModelForm):
    """Identity, contact and address; the address is situated in one of three ways (``location_mode``)."""

    location_mode = forms.ChoiceField(
        label="Situer la personne",
        choices=[
            (services.LocationMode.ADDRESS, "D'après l'adresse (service d'adresses)"),
            (services.LocationMode.POINT, "D'après un point (longitude, latitude)"),
            (services.LocationMode.MANUAL, "Choisir le quartier à la main"),
        ],
        widget=forms.RadioSelect,
    )
    commune = CommuneChoice(
        label="Commune", queryset=Commune.objects.none(), required=False, empty_label="Choisir"
    )
    longitude = forms.FloatField(label="Longitude", required=False, min_value=-180, max_value=180)
    latitude = forms.FloatField(label="Latitude", required=False, min_value=-90, max_value=90)
    qpv = QpvChoice(
        label="Quartier prioritaire",
        queryset=QPV.objects.none(),
        required=False,
        empty_label="Hors quartier prioritaire",
        help_text="Seulement si vous avez choisi « Choisir le quartier à la main ».",
    )

    class Meta:
        model = Beneficiary
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "phone",
            "email",
            "address",
            "postcode",
            "commune",
            "france_travail_id",
            "diploma_level",
        ]
        widgets = {"birth_date": DATE, "sex": forms.RadioSelect}
        help_texts = {
            "france_travail_id": "6 à 11 lettres ou chiffres ; il aide à repérer une personne déjà suivie.",
            "address": "Numéro et voie.",
        }

    def __init__(self, *args, territory, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.territory = territory
        self.fields["commune"].queryset = queries.territory_communes(territory)
        self.fields["qpv"].queryset = queries.perimeter_qpvs(territory)
        self.fields["sex"].choices = self.fields["sex"].choices[1:]  # no empty radio
        self.fields["diploma_level"].choices = [
            ("", "Non renseigné"),
            *self.fields["diploma_level"].choices[1:],
        ]
        instance = kwargs.get("instance")
        if instance is not None and instance.pk:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=instance.version)
            self.fields["qpv"].initial = instance.qpv_id
            self.fields["longitude"].initial = instance.longitude
            self.fields["latitude"].initial = instance.latitude
            self.fields["location_mode"].initial = {
                "map": services.LocationMode.POINT,
                "manual": services.LocationMode.MANUAL,
            }.get(instance.located_by, services.LocationMode.ADDRESS)
        else:
            self.fields["location_mode"].initial = (
                services.LocationMode.ADDRESS if geocoder_configured() else services.LocationMode.MANUAL
            )
        if not geocoder_configured():
            self.fields["location_mode"].choices = [
                (
                    value,
                    "D'après l'adresse (aucun service d'adresses configuré : elle sera seulement enregistrée)",
                )
                if value == services.LocationMode.ADDRESS
                else (value, label)
                for value, label in self.fields["location_mode"].choices
            ]
        if len(organisations) > 1:
            self.fields["organisation"] = forms.ModelChoiceField(
                label="Au titre de",
                queryset=type(organisations[0]).objects.filter(pk__in=[o.pk for o in organisations]),
                empty_label=None,
            )

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value >= today:
            raise forms.ValidationError("La date de naissance doit être dans le passé.")
        if value.year < today.year - 110:
            raise forms.ValidationError("Vérifiez l'année de naissance.")
        return value

    def clean_france_travail_id(self):
        value = "".join(self.cleaned_data["france_travail_id"].split()).upper()
        if value and not FT_ID.match(value):
            raise forms.ValidationError("6 à 11 lettres ou chiffres attendus.")
        return value

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if value and not re.fullmatch(r"\d{5}", value):
            raise forms.ValidationError("5 chiffres attendus.")
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not PHONE.match(value):
            raise forms.ValidationError("Numéro de téléphone invalide.")
        return value

    def clean(self):
        data = super().clean()
        mode = data.get("location_mode")
        has_lon, has_lat = data.get("longitude") is not None, data.get("latitude") is not None
        if has_lon != has_lat:
            self.add_error("longitude", "Renseignez la longitude et la latitude ensemble.")
        if mode == services.LocationMode.POINT and not (has_lon and has_lat):
            self.add_error("longitude", "Indiquez le point : longitude et latitude.")
        return data

    def identity(self) -> dict:
        return {k: self.cleaned_data[k] for k in services.IDENTITY_FIELDS if k in self.cleaned_data}

    def location(self) -> services.Location:
        data = self.cleaned_data
        return services.resolve_location(
            self.territory,
            mode=data["location_mode"],
            address=data.get("address", ""),
            postcode=data.get("postcode", ""),
            commune=data.get("commune"),
            longitude=data.get("longitude"),
            latitude=data.get("latitude"),
            qpv=data.get("qpv"),
        )


class DuplicateChoiceForm(DsfrForm):
    """Carry the typed identity through the duplicate page (hidden), with the user's decision."""

    confirm_different = forms.BooleanField(
        label="J'ai vérifié avec la personne : il ne s'agit pas d'elle. Créer une nouvelle fiche.",
        required=True,
    )


class JoinRequestForm(DsfrForm):
    token = forms.CharField(widget=forms.HiddenInput)
    message = forms.CharField(
        label="Message au ou à la référente (facultatif)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Pourquoi vous accompagnez cette personne ; pas de donnée de santé.",
    )


class FactForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = SituationFact
        fields = ["kind", "value", "started_on", "ended_on"]
        widgets = {"started_on": DATE, "ended_on": DATE}
        help_texts = {"value": "Par exemple la catégorie France Travail (A, B, C…)."}

    def clean(self):
        data = super().clean()
        if data.get("started_on") and data.get("ended_on") and data["ended_on"] < data["started_on"]:
            self.add_error("ended_on", "La date de fin précède la date de début.")
        return data


class ConsentForm(DsfrForm):
    given_on = forms.DateField(label="Recueilli le", widget=DATE, initial=timezone.localdate)
    scope = forms.ChoiceField(label="Portée", choices=Consent.Scope.choices, widget=forms.RadioSelect)
    document = forms.FileField(
        label="Formulaire signé (scan, facultatif)",
        required=False,
        help_text="PDF, JPEG ou PNG, 5 Mo au plus.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )
    confirm = forms.BooleanField(
        label="La personne a été informée de ce qui est partagé, avec qui, et de son droit de retirer son accord.",
        required=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].initial = Consent.Scope.FOLLOW_UP

    def clean_given_on(self):
        value = self.cleaned_data["given_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return value

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            try:
                services.check_consent_document(document)
            except services.FollowUpError as error:
                raise forms.ValidationError(error.message) from error
        return document


class ConfirmForm(DsfrForm):
    confirm = forms.BooleanField(label="Je confirme", required=True)

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["confirm"].label = label


class InviteForm(DsfrForm):
    membership = forms.ChoiceField(
        label="Professionnel à inviter",
        help_text="Les professionnels actifs des organisations du territoire, par organisation.",
    )
    reason = forms.CharField(
        label="Motif", max_length=200, required=False, help_text="Par exemple « accompagnement santé »."
    )

    def __init__(self, *args, follow_up, **kwargs):
        super().__init__(*args, **kwargs)
        current = set(follow_up.members.filter(ended_on__isnull=True).values_list("user_id", flat=True))
        self.memberships, seen = {}, set()
        groups: dict[str, list] = {}
        for m in services.invitable_memberships(follow_up.beneficiary.territory):
            if m.user_id in current or (m.user_id, m.organisation_id) in seen:
                continue
            seen.add((m.user_id, m.organisation_id))
            self.memberships[str(m.pk)] = m
            groups.setdefault(m.organisation.name, []).append(
                (str(m.pk), f"{m.user.get_full_name() or m.user.email} — {m.get_role_display()}")
            )
        self.fields["membership"].choices = [("", "Choisir"), *groups.items()]

    def clean_membership(self):
        return self.memberships[self.cleaned_data["membership"]]


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.get_full_name() or obj.user.email} ({obj.organisation.name})"


class ReferentForm(DsfrForm):
    member = MemberChoice(label="Nouveau ou nouvelle référente", queryset=None, empty_label="Choisir")

    def __init__(self, *args, follow_up, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = queries.members(follow_up, active_only=True).filter(
            is_referent=False
        )


class EndMembershipForm(DsfrForm):
    reason = forms.CharField(label="Motif", max_length=200, required=False)
    successor = MemberChoice(
        label="Référent·e qui prend le relais",
        queryset=None,
        required=False,
        empty_label="Choisir",
        help_text="Obligatoire quand le ou la référente quitte le suivi.",
    )

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        others = queries.members(member.follow_up, active_only=True).exclude(pk=member.pk)
        self.fields["successor"].queryset = others
        if not member.is_referent or not others.exists():
            del self.fields["successor"]


class CloseForm(DsfrForm):
    closed_on = forms.DateField(label="Date de sortie du suivi", widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(
        label="Motif",
        max_length=200,
        help_text="Par exemple « emploi durable », « déménagement », « ne souhaite plus être accompagnée ».",
    )


class BarrierForm(DsfrForm):
    thematique = forms.ChoiceField(
        label="Frein (thématique data·inclusion)",
        help_text="Le même référentiel que les services du catalogue : le besoin rencontre l'offre sans traduction.",
    )
    identified_on = forms.DateField(label="Identifié le", widget=DATE, initial=timezone.localdate)
    notes = forms.CharField(
        label="Précisions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Le strict nécessaire : pas de diagnostic médical.",
    )

    def __init__(self, *args, follow_up, **kwargs):
        super().__init__(*args, **kwargs)
        taken = set(follow_up.barriers.values_list("thematique", flat=True))
        self.fields["thematique"].choices = [
            ("", "Choisir"),
            *[
                (group, [(v, label) for v, label in items if v not in taken])
                for group, items in enums.grouped_thematique_choices()
            ],
        ]


class BarrierStatusForm(DsfrForm):
    status = forms.ChoiceField(label="Nouveau statut", widget=forms.RadioSelect)
    on = forms.DateField(label="Depuis le", widget=DATE, initial=timezone.localdate)
    notes = forms.CharField(label="Précisions", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, barrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (s, Barrier.Status(s).label) for s in services.allowed_barrier_statuses(barrier)
        ]
        self.fields["notes"].initial = barrier.notes


class ProjectForm(DsfrForm):
    target_jobs = forms.ModelMultipleChoiceField(
        label="Métiers visés",
        queryset=RomeAppellation.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contracts = forms.MultipleChoiceField(
        label="Contrats recherchés",
        choices=ProfessionalProject.Contract.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mobility_km = forms.IntegerField(
        label="Mobilité (km)",
        required=False,
        min_value=0,
        max_value=500,
        help_text="Distance acceptée depuis le domicile.",
    )
    has_driving_licence = forms.BooleanField(label="Permis B", required=False)
    has_vehicle = forms.BooleanField(label="Véhicule", required=False)
    notes = forms.CharField(label="Précisions", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, offered=(), **kwargs):
        """``offered``: the appellations to show as choices (the current ones plus a search's results)."""
        super().__init__(*args, **kwargs)
        self.fields["target_jobs"].widget.choices = [(a.code, a.label) for a in offered]


class EntryForm(DsfrForm):
    kind = forms.ChoiceField(
        label="Nature",
        choices=[(k, TimelineEvent.Kind(k).label) for k in services.ENTRY_KINDS],
        widget=forms.RadioSelect,
        initial=TimelineEvent.Kind.NOTE,
    )
    at = forms.DateTimeField(
        label="Date et heure",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        required=False,
        help_text="Vide : maintenant. Un rendez-vous peut être à venir.",
    )
    text = forms.CharField(
        label="Texte",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Des faits utiles au parcours ; pas de donnée de santé ni de jugement.",
    )
    visibility = forms.ChoiceField(
        label="Visible par",
        choices=TimelineEvent.Visibility.choices,
        widget=forms.RadioSelect,
        initial=TimelineEvent.Visibility.MEMBERS,
    )


class OutcomeForm(DsfrForm):
    kind = forms.ChoiceField(label="Nature de la sortie", choices=[("", "Choisir"), *Outcome.Kind.choices])
    contract = forms.ChoiceField(
        label="Contrat",
        required=False,
        choices=[
            ("", "Sans objet"),
            *[
                (Outcome.Kind(kind).label, list(options))
                for kind, options in services.OUTCOME_CONTRACTS.items()
            ],
        ],
        help_text="Pour un emploi durable ou de transition.",
    )
    occurred_on = forms.DateField(label="Date", widget=DATE, initial=timezone.localdate)
    details = forms.CharField(
        label="Précisions", max_length=255, required=False, help_text="Par exemple le métier ou la formation."
    )

    def clean(self):
        data = super().clean()
        options = dict(services.OUTCOME_CONTRACTS.get(data.get("kind"), ()))
        if options and data.get("contract") not in options:
            self.add_error("contract", f"Choisissez parmi : {', '.join(options.values())}.")
        return data


class EraseForm(DsfrForm):
    ANONYMISE, DELETE = "anonymiser", "effacer"
    mode = forms.ChoiceField(
        label="Que faire ?",
        choices=[
            (
                ANONYMISE,
                "Anonymiser : garder les chiffres (sexe, âge, quartier, freins, sorties) sans la personne",
            ),
            (DELETE, "Effacer : supprimer la fiche et tout son parcours"),
        ],
        widget=forms.RadioSelect,
        initial=ANONYMISE,
    )
    confirm = forms.BooleanField(
        label="Je confirme : c'est définitif, personne ne pourra plus consulter cette fiche.", required=True
    )


class ListFilterForm(DsfrForm):
    q = forms.CharField(label="Nom, prénom ou identifiant France Travail", required=False, max_length=100)
    statut = forms.ChoiceField(
        label="Suivi",
        required=False,
        choices=[(FollowUp.Status.OPEN, "En cours"), (FollowUp.Status.CLOSED, "Clos"), ("tous", "Tous")],
    )
    qpv = forms.ChoiceField(label="Quartier", required=False)
    age = forms.ChoiceField(label="Âge", required=False, choices=[("", "Tous"), *AgeGroup.choices])
    frein = forms.ChoiceField(label="Catégorie de frein", required=False)
    contact = forms.IntegerField(
        label="Sans contact depuis (jours)", required=False, min_value=0, max_value=3650
    )

    def __init__(self, *args, territory=None, qpv_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if qpv_choices is None:
            qpv_choices = (
                ("", "Tous"),
                (queries.OUTSIDE_QPV, "Hors quartier prioritaire"),
                # Two columns, not the outlines: parsing their JSON cost more than the rest of the form.
                *queries.perimeter_qpvs(territory).values_list("code", "name"),
            )
        self.fields["qpv"].choices = qpv_choices
        self.fields["frein"].choices = [("", "Toutes"), *enums.CATEGORIES]

    def fields_html(self) -> str:
        """The filters' field groups; those of the empty form, the usual case, rendered once per process."""
        if self.is_bound:
            return mark_safe("".join(field.as_field_group() for field in self))
        return _blank_filters(tuple(self.fields["qpv"].choices))

    def filters(self) -> queries.ListFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("statut") or FollowUp.Status.OPEN
        return queries.ListFilters(
            q=data.get("q", "").strip(),
            qpv=data.get("qpv", ""),
            age_group=data.get("age", ""),
            category=data.get("frein", ""),
            status="" if status == "tous" else status,
            contact_days=data.get("contact"),
        )


# The DSFR field templates cost about 2 ms per form and page (radios more): an empty form whose
# HTML depends on nothing of the request (fixed choices, no initial value computed) is rendered once.


@lru_cache(maxsize=16)
def _blank_filters(qpv_choices: tuple) -> str:
    form = ListFilterForm(qpv_choices=qpv_choices)
    return mark_safe("".join(field.as_field_group() for field in form))


@cache
def blank_entry_fields() -> str:
    """The fields of the empty « Ajouter au parcours » form, the same for every person and user."""
    return mark_safe("".join(field.as_field_group() for field in EntryForm()))


class AuditFilterForm(DsfrForm):
    beneficiaire = forms.IntegerField(label="N° de fiche", required=False, min_value=1)
    utilisateur = forms.ModelChoiceField(
        label="Utilisateur", queryset=None, required=False, empty_label="Tous"
    )
    du = forms.DateField(label="Du", required=False, widget=DATE)
    au = forms.DateField(label="Au", required=False, widget=DATE)

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["utilisateur"].queryset = queries.territory_professionals(territory)

    def filters(self) -> queries.AuditFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        user = data.get("utilisateur")
        return queries.AuditFilters(
            beneficiary_id=data.get("beneficiaire"),
            user_id=user.pk if user else None,
            date_from=data.get("du"),
            date_to=data.get("au"),
        )
