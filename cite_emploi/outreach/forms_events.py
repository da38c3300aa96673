"""Forms of recruitment events: they parse input; the rules live in ``events``."""

import re

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm
from cite_emploi.followup.models import Beneficiary, fold_name
from cite_emploi.followup.queries import perimeter_qpvs, search_appellations, territory_communes
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.partners.siret import siret_error
from cite_emploi.talent.models import Contract, JobOffer
from cite_emploi.talent.offers import MAX_HOURS
from cite_emploi.territory.models import QPV, Commune, RomeAppellation

from .events import HIRE_CONTRACTS, MAX_POSTS, MAX_PROPOSED_OFFERS
from .models import EventCandidate, EventEmployer, Interview, RecruitmentEvent, RecruitmentKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


class NamedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OrganisationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


# --- the event ----------------------------------------------------------------------------------


class EventForm(DsfrForm):
    kind = forms.ChoiceField(
        label="Nature de l'opération", choices=[("", "Choisir"), *RecruitmentKind.choices]
    )
    title = forms.CharField(
        label="Intitulé",
        max_length=200,
        help_text="Par exemple « Job dating logistique du Mont-Mesly ».",
    )
    description = forms.CharField(
        label="Présentation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Ce que les employeurs et les candidats doivent savoir ; elle figure sur la page d'inscription publique.",
    )
    starts_at = forms.DateTimeField(label="Début", widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(
        label="Fin", required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    status = forms.ChoiceField(label="Statut", choices=RecruitmentEvent.Status.choices)
    qpv = NamedChoice(
        label="Quartier prioritaire",
        queryset=QPV.objects.none(),
        required=False,
        empty_label="Hors quartier prioritaire",
    )
    commune = NamedChoice(
        label="Commune", queryset=Commune.objects.none(), required=False, empty_label="Choisir"
    )
    place_label = forms.CharField(
        label="Lieu (nom, adresse)",
        max_length=200,
        required=False,
        help_text="Par exemple « Maison de l'emploi, 1 place de l'Abbaye, Créteil ».",
    )
    organisers = OrganisationChoices(
        label="Organisations organisatrices", queryset=Organisation.objects.none()
    )
    registration_open = forms.BooleanField(
        label="Inscriptions des employeurs ouvertes",
        required=False,
        initial=True,
        help_text="Les employeurs s'inscrivent sur la page publique de l'opération, jusqu'à la date limite.",
    )
    registration_deadline = forms.DateField(
        label="Date limite d'inscription des employeurs", required=False, widget=DATE
    )

    def __init__(self, *args, territory, event: RecruitmentEvent | None = None, **kwargs):
        if event is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": event.kind,
                    "title": event.title,
                    "description": event.description,
                    "starts_at": timezone.localtime(event.starts_at),
                    "ends_at": timezone.localtime(event.ends_at) if event.ends_at else None,
                    "status": event.status,
                    "qpv": event.qpv_id,
                    "commune": event.commune_id,
                    "place_label": event.place_label,
                    "organisers": [o.pk for o in event.organisers.all()],
                    "registration_open": event.registration_open,
                    "registration_deadline": event.registration_deadline,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["qpv"].queryset = perimeter_qpvs(territory).only("pk", "code", "name")
        self.fields["commune"].queryset = territory_communes(territory).only("pk", "code", "name")
        self.fields["organisers"].queryset = (
            Organisation.objects.in_territory(territory)
            .exclude(kind=OrganisationKind.EMPLOYER)
            .only("pk", "name")
            .order_by("name")
        )
        if event is None:
            del self.fields["status"]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", "La fin de l'opération ne peut pas précéder son début.")
        return data


# --- ROME appellations, typed with suggestions --------------------------------------------------


def resolve_appellation(text: str) -> RomeAppellation:
    """The ROME title typed or picked from the suggestions; a French error when none or several match."""
    text = " ".join(text.split())
    exact = RomeAppellation.objects.select_related("occupation").filter(label__iexact=text).first()
    if exact is None and text.isdigit():
        exact = RomeAppellation.objects.select_related("occupation").filter(code=text).first()
    if exact is not None:
        return exact
    found = search_appellations(text, limit=6)
    same = [a for a in found if fold_name(a.label) == fold_name(text)]
    if len(same) == 1 or len(found) == 1:
        return (same or found)[0]
    if not found:
        raise forms.ValidationError(
            "Aucun métier du répertoire ROME ne correspond : essayez un autre mot (par exemple « cariste »)."
        )
    examples = " ; ".join(f"« {a.label} »" for a in found[:3])
    raise forms.ValidationError(
        f"Plusieurs métiers correspondent : choisissez-en un dans la liste ({examples}…)."
    )


class AppellationField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 250)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.label if isinstance(value, RomeAppellation) else value

    def clean(self, value):
        text = super().clean(value)
        return resolve_appellation(text) if text else None


def suggest_jobs(field: forms.Field, list_id: str) -> None:
    """Suggestions of ROME titles in a datalist, filled as the user types (htmx); the field works without."""
    field.widget.attrs.update(
        {
            "list": list_id,
            "autocomplete": "off",
            "hx-get": reverse("outreach:event_rome_search"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": f"#{list_id}",
        }
    )


class OfferFields(DsfrForm):
    """An offer as an employer describes it: title, ROME title, contract, hours, posts."""

    title = forms.CharField(label="Intitulé du poste", max_length=200)
    appellation = AppellationField(
        label="Métier (répertoire ROME)",
        help_text="Tapez quelques lettres puis choisissez dans la liste, par exemple « préparateur de commandes ».",
    )
    contract = forms.ChoiceField(label="Type de contrat", choices=[("", "Choisir"), *Contract.choices])
    hours_per_week = forms.IntegerField(
        label="Heures par semaine", required=False, min_value=1, max_value=MAX_HOURS
    )
    posts = forms.IntegerField(label="Nombre de postes", min_value=1, max_value=MAX_POSTS, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_id = f"{self.prefix or 'offre'}-metiers"
        suggest_jobs(self.fields["appellation"], list_id)
        self.jobs_list_id = list_id

    def offer_data(self) -> dict:
        return {
            key: self.cleaned_data.get(key)
            for key in ("title", "appellation", "contract", "hours_per_week", "posts")
        }


class BaseOfferFormSet(BaseFormSet):
    default_error_messages = {
        "missing_management_form": "Le formulaire est incomplet : rechargez la page.",
        "too_few_forms": "Décrivez au moins une offre d'emploi.",
        "too_many_forms": f"Présentez au plus {MAX_PROPOSED_OFFERS} offres d'emploi.",
    }

    def offers(self) -> list[dict]:
        return [f.offer_data() for f in self.forms if f.has_changed() and f.cleaned_data]


OfferFormSet = formset_factory(
    OfferFields,
    formset=BaseOfferFormSet,
    extra=MAX_PROPOSED_OFFERS - 1,
    min_num=1,
    max_num=MAX_PROPOSED_OFFERS,
    validate_min=True,
    validate_max=True,
)


def offer_formset(data=None) -> BaseOfferFormSet:
    return OfferFormSet(data, prefix="offre")


# --- employers' registration --------------------------------------------------------------------


def clean_phone(value: str) -> str:
    value = value.strip()
    if value and not PHONE.match(value):
        raise forms.ValidationError("Indiquez un numéro de téléphone, par exemple 01 23 45 67 89.")
    return value


class RegistrationForm(DsfrForm):
    company_name = forms.CharField(label="Raison sociale de l'entreprise", max_length=200)
    siret = forms.CharField(
        label="SIRET de l'établissement",
        max_length=20,
        help_text="14 chiffres, sur vos factures ou sur annuaire-entreprises.data.gouv.fr.",
    )
    contact_name = forms.CharField(label="Nom et prénom de la personne à contacter", max_length=200)
    contact_email = forms.EmailField(label="Courriel de la personne à contacter")
    contact_phone = forms.CharField(
        label="Téléphone de la personne à contacter", max_length=20, required=False
    )
    # A field no person fills (hidden from view and from assistive technologies): robots do.
    website = forms.CharField(label="Ne remplissez pas ce champ", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_siret(self):
        value = self.cleaned_data["siret"].replace(" ", "")
        if error := siret_error(value):
            raise forms.ValidationError(error)
        return value

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data["contact_phone"])

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class OfferChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        hours = f", {obj.hours_per_week} h/semaine" if obj.hours_per_week else ""
        return f"{obj.title} — {obj.get_contract_display()}{hours}, {obj.posts} poste{'s' if obj.posts > 1 else ''}"


class JoinForm(DsfrForm):
    """A signed-in employer registers their organisation, with open offers of theirs."""

    organisation = NamedChoice(label="Organisation", queryset=Organisation.objects.none(), empty_label=None)
    contact_phone = forms.CharField(label="Votre téléphone", max_length=20, required=False)
    offers = OfferChoices(
        label="Offres que vous présenterez",
        queryset=JobOffer.objects.none(),
        required=False,
        help_text=f"Jusqu'à {MAX_PROPOSED_OFFERS} de vos offres ouvertes ; vous pourrez en ajouter une fois la participation confirmée.",
    )

    def __init__(self, *args, organisations, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in organisations]
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk
            self.fields["organisation"].widget = forms.HiddenInput()
        self.fields["offers"].queryset = offers

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data["contact_phone"])

    def clean(self):
        data = super().clean()
        organisation, offers = data.get("organisation"), data.get("offers") or []
        if len(offers) > MAX_PROPOSED_OFFERS:
            self.add_error("offers", f"Choisissez au plus {MAX_PROPOSED_OFFERS} offres.")
        if organisation and any(o.organisation_id != organisation.pk for o in offers):
            self.add_error("offers", "Choisissez des offres de l'organisation que vous inscrivez.")
        return data


class DeclineForm(DsfrForm):
    reason = forms.CharField(
        label="Motif (transmis à l'employeur)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "refus_%s")
        super().__init__(*args, **kwargs)


class RegistrationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.company_name


class OfferChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.reference})"


class OfferAddForm(OfferFields):
    """Present an offer: one of the employer's open offers, or a new one described here."""

    employer = RegistrationChoice(
        label="Employeur", queryset=EventEmployer.objects.none(), empty_label="Choisir"
    )
    existing = OfferChoice(
        label="Une offre déjà publiée",
        queryset=JobOffer.objects.none(),
        required=False,
        empty_label="Non : je décris une nouvelle offre ci-dessous",
    )
    description = forms.CharField(
        label="Description du poste", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = ["employer", "existing", "title", "appellation", "contract", "hours_per_week", "posts"]

    def __init__(self, *args, registrations, registration=None, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = registrations
        if registration is not None:
            self.fields["employer"].initial = registration.pk
            self.fields["employer"].widget = forms.HiddenInput()
        if existing is None:
            del self.fields["existing"]
        else:
            self.fields["existing"].queryset = existing
        # Nothing of a new offer is needed when an existing one is chosen: ``clean`` asks for it otherwise.
        for name in ("title", "appellation", "contract", "posts"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        if data.get("existing"):
            return data
        for name, message in (
            ("title", "Donnez un intitulé à l'offre."),
            ("appellation", "Choisissez le métier dans le répertoire ROME."),
            ("contract", "Choisissez le type de contrat."),
        ):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    def offer_data(self) -> dict:
        data = super().offer_data()
        return data | {
            "posts": data.get("posts") or 1,
            "description": self.cleaned_data.get("description", ""),
        }


# --- candidates and interviews ------------------------------------------------------------------


class BeneficiaryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.last_name.upper()} {obj.first_name} (fiche n° {obj.pk})"


PREPARATION_HELP = (
    "Atelier CV, simulation d'entretien, visite de l'entreprise… Seuls les membres du suivi la lisent."
)


class InviteForm(DsfrForm):
    beneficiary = BeneficiaryChoice(
        label="Personne invitée", queryset=Beneficiary.objects.none(), empty_label="Choisir"
    )
    prepared = forms.BooleanField(label="Préparation réalisée", required=False)
    preparation = forms.CharField(
        label="Préparation",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PREPARATION_HELP,
    )

    def __init__(self, *args, beneficiaries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = beneficiaries


class CandidateForm(DsfrForm):
    status = forms.ChoiceField(label="Statut", choices=EventCandidate.Status.choices)
    prepared = forms.BooleanField(label="Préparation réalisée", required=False)
    preparation = forms.CharField(
        label="Préparation",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PREPARATION_HELP,
    )

    def __init__(self, *args, candidate: EventCandidate, member: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": candidate.status,
                "prepared": candidate.prepared,
                "preparation": candidate.preparation,
            },
        )
        super().__init__(*args, **kwargs)
        if not member:
            del self.fields["prepared"], self.fields["preparation"]


class PresentedOfferChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.offer.title} ({obj.employer.company_name})"


class InterviewForm(DsfrForm):
    employer = RegistrationChoice(
        label="Employeur", queryset=EventEmployer.objects.none(), empty_label="Choisir"
    )
    offer = PresentedOfferChoice(
        label="Offre", queryset=None, required=False, empty_label="Sans offre particulière"
    )
    result = forms.ChoiceField(label="Résultat", choices=Interview.Result.choices)
    contract = forms.ChoiceField(
        label="Contrat signé", required=False, choices=[("", "Choisir"), *HIRE_CONTRACTS]
    )
    hired_on = forms.DateField(label="Date d'embauche", required=False, widget=DATE)

    def __init__(self, *args, employers, offers, member: bool, interview: Interview | None = None, **kwargs):
        if interview is not None:
            kwargs.setdefault(
                "initial",
                {
                    "employer": interview.employer_id,
                    "offer": next((o.pk for o in offers if o.offer_id == interview.offer_id), None),
                    "result": interview.result,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers
        self.fields["offer"].queryset = offers
        if not member:
            self.fields["result"].choices = [
                c for c in Interview.Result.choices if c[0] != Interview.Result.HIRED
            ]
            del self.fields["contract"], self.fields["hired_on"]

    def clean(self):
        data = super().clean()
        presented, employer = data.get("offer"), data.get("employer")
        if presented and employer and presented.employer_id != employer.pk:
            self.add_error("offer", "Cette offre est présentée par un autre employeur.")
        if data.get("result") == Interview.Result.HIRED:
            if not data.get("contract"):
                self.add_error("contract", "Précisez le contrat signé.")
            if not data.get("hired_on"):
                self.add_error("hired_on", "Indiquez la date d'embauche.")
        return data


# --- results ------------------------------------------------------------------------------------


class PeriodForm(DsfrForm):
    du = forms.DateField(label="Opérations du", required=False, widget=DATE)
    au = forms.DateField(label="au", required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError("La date de début doit précéder la date de fin.")
        return data

    def period(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if not data.get("du") and not data.get("au"):
            return None
        return (data.get("du"), data.get("au"))
