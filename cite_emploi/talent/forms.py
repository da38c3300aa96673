"""Forms of the CV library: they parse input; the rules live in ``services`` and ``offers``."""

import re

from django import forms
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm
from cite_emploi.territory.models import Commune, RomeAppellation

from .models import ContactRequest, Contract, JobOffer, WorkingTime

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RADIUS_CHOICES = [("", "Toute distance"), ("5", "5 km"), ("10", "10 km"), ("20", "20 km"), ("30", "30 km")]
ROME_CODE = re.compile(r"^[A-Z]\d{4}$")


def split_lines(text: str, separators: str = "\n;") -> list[str]:
    """« a ; b\\nc » → [a, b, c]: skills are typed one per line (or separated by semicolons)."""
    pattern = "[" + re.escape(separators) + "]"
    return [part.strip() for part in re.split(pattern, text or "") if part.strip()]


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AppellationChoices(forms.ModelMultipleChoiceField):
    """ROME appellations by their OGR code; the page offers the current ones and a search's results."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=RomeAppellation.objects.all(), to_field_name="code", **kwargs)


def offered_choices(appellations) -> list[tuple[str, str]]:
    return [(a.code, f"{a.label} ({a.occupation.code})") for a in appellations]


# --- profiles -----------------------------------------------------------------------------------


class ProfileForm(DsfrForm):
    headline = forms.CharField(
        label="Titre du profil",
        max_length=200,
        help_text="Le métier et un atout, par exemple « Préparatrice de commandes, CACES 1, disponible de suite ». "
        "Ni nom, ni adresse, ni quartier.",
    )
    appellations = AppellationChoices(
        label="Métiers visés",
        help_text="Un à cinq métiers du répertoire ROME.",
        error_messages={"required": "Choisissez au moins un métier visé."},
    )
    skills = forms.CharField(
        label="Compétences",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Une par ligne : savoir-faire, habilitations, logiciels, permis spéciaux…",
    )
    experience_summary = forms.CharField(
        label="Expérience",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="En quelques phrases, sans nom d'employeur qui permettrait de reconnaître la personne.",
    )
    languages = forms.CharField(
        label="Langues parlées",
        required=False,
        max_length=400,
        help_text="Séparées par des virgules, par exemple « Français, Arabe, Anglais (notions) ».",
    )
    driving_licence = forms.BooleanField(label="Permis B", required=False)
    vehicle = forms.BooleanField(label="Véhicule personnel", required=False)
    mobility_km = forms.IntegerField(
        label="Mobilité (km)",
        min_value=0,
        max_value=200,
        initial=10,
        help_text="Distance que la personne accepte de parcourir pour travailler.",
    )
    available_from = forms.DateField(
        label="Disponible à partir du",
        required=False,
        widget=DATE,
        help_text="Laissez vide si la personne est disponible dès maintenant.",
    )
    working_time = forms.ChoiceField(
        label="Temps de travail",
        choices=WorkingTime.choices,
        initial=WorkingTime.ANY,
        widget=forms.RadioSelect,
    )
    contracts = forms.MultipleChoiceField(
        label="Contrats recherchés",
        choices=Contract.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    commune = CommuneChoice(
        label="Commune",
        queryset=Commune.objects.none(),
        empty_label="Choisir",
        help_text="Le profil est placé au centre de la commune, jamais à l'adresse de la personne.",
    )

    def __init__(self, *args, territory, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = territory.communes.defer("geometry").order_by("name")
        self.fields["appellations"].widget.choices = offered_choices(offered)

    def clean_skills(self):
        return split_lines(self.cleaned_data["skills"])

    def clean_languages(self):
        return split_lines(self.cleaned_data["languages"], ",;\n")

    def profile_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["appellations"] = list(data["appellations"].select_related("occupation"))
        data.pop("consent_given_on", None)
        data.pop("consent_confirmed", None)
        return data


class ProfileCreateForm(ProfileForm):
    consent_given_on = forms.DateField(
        label="La personne a donné son accord le",
        widget=DATE,
        error_messages={
            "required": "Indiquez la date à laquelle la personne a donné son accord pour figurer dans la CVthèque."
        },
    )
    consent_confirmed = forms.BooleanField(
        label="J'ai expliqué à la personne ce que contient le profil, qui le voit, et qu'elle peut retirer "
        "son accord à tout moment ; elle accepte que son profil anonymisé soit présenté aux employeurs "
        "du territoire.",
        error_messages={"required": "Sans l'accord de la personne, aucun profil ne peut être créé."},
    )

    field_order = ["consent_given_on", "consent_confirmed"]


class ConsentDateForm(DsfrForm):
    on = forms.DateField(label="Date", widget=DATE)

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].label = label
        self.fields["on"].initial = timezone.localdate


class RenewConsentForm(ConsentDateForm):
    confirmed = forms.BooleanField(
        label="La personne accepte à nouveau que son profil anonymisé soit présenté aux employeurs du territoire.",
        error_messages={"required": "Sans l'accord de la personne, le profil reste suspendu."},
    )


# --- offers -------------------------------------------------------------------------------------


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OfferForm(DsfrForm):
    organisation = OrganisationChoice(label="Employeur", queryset=None, empty_label=None)
    title = forms.CharField(label="Intitulé du poste", max_length=200)
    appellation = forms.ModelChoiceField(
        label="Métier (répertoire ROME)",
        queryset=RomeAppellation.objects.all(),
        to_field_name="code",
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le métier dans le référentiel ROME."},
    )
    contract = forms.ChoiceField(label="Contrat", choices=[("", "Choisir"), *Contract.choices])
    hours_per_week = forms.IntegerField(label="Heures par semaine", min_value=1, max_value=48, required=False)
    posts = forms.IntegerField(label="Nombre de postes", min_value=1, max_value=500, initial=1)
    commune = CommuneChoice(
        label="Commune du lieu de travail", queryset=Commune.objects.none(), empty_label="Choisir"
    )
    starts_on = forms.DateField(label="Prise de poste", required=False, widget=DATE)
    description = forms.CharField(
        label="Description", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    skills = forms.CharField(
        label="Compétences attendues",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Une par ligne.",
    )
    status = forms.ChoiceField(
        label="Statut",
        choices=[(JobOffer.Status.OPEN, "Ouverte (visible)"), (JobOffer.Status.DRAFT, "Brouillon")],
        initial=JobOffer.Status.OPEN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, organisations, territory, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["commune"].queryset = territory.communes.defer("geometry").order_by("name")
        self.fields["appellation"].widget.choices = offered_choices(offered)

    def clean_skills(self):
        return split_lines(self.cleaned_data["skills"])

    def offer_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("organisation")
        return data


class CloseOfferForm(DsfrForm):
    status = forms.ChoiceField(
        label="Pourquoi clore l'offre ?",
        choices=[
            (JobOffer.Status.FILLED, "Le poste est pourvu"),
            (JobOffer.Status.CLOSED, "L'offre est retirée sans recrutement"),
        ],
        widget=forms.RadioSelect,
    )


# --- search -------------------------------------------------------------------------------------


class SearchForm(DsfrForm):
    metier = AppellationChoices(label="Métiers", required=False)
    rome = forms.CharField(
        label="Code ROME",
        required=False,
        max_length=5,
        help_text="Tout le métier, par exemple « N1103 ».",
    )
    mots = forms.CharField(
        label="Compétences ou mots-clés", required=False, max_length=100, help_text="Par exemple « CACES »."
    )
    commune = CommuneChoice(
        label="Près de la commune",
        queryset=Commune.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="Tout le territoire",
    )
    rayon = forms.TypedChoiceField(
        label="Dans un rayon de", choices=RADIUS_CHOICES, coerce=int, empty_value=None, required=False
    )
    disponible = forms.DateField(label="Disponible au plus tard le", required=False, widget=DATE)
    contrats = forms.MultipleChoiceField(
        label="Contrats", choices=Contract.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    temps = forms.ChoiceField(
        label="Temps de travail", choices=[("", "Indifférent"), *WorkingTime.choices[:2]], required=False
    )

    def __init__(self, *args, territory, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = territory.communes.defer("geometry").order_by("name")
        self.fields["metier"].widget.choices = offered_choices(offered)

    def clean_rome(self):
        code = self.cleaned_data["rome"].strip().upper()
        if code and not ROME_CODE.match(code):
            raise forms.ValidationError(
                "Un code ROME s'écrit avec une lettre et quatre chiffres, par exemple « N1103 »."
            )
        return code

    def clean(self):
        data = super().clean()
        if data.get("rayon") and not data.get("commune"):
            self.add_error("commune", "Choisissez la commune à partir de laquelle mesurer la distance.")
        return data


# --- contact requests ---------------------------------------------------------------------------


class OfferChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.reference})"


class ContactForm(DsfrForm):
    offer = OfferChoice(
        label="À propos de l'offre",
        queryset=JobOffer.objects.none(),
        required=False,
        empty_label="Aucune offre en particulier",
    )
    message = forms.CharField(
        label="Votre message au référent de la personne",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Le poste, ce que vous proposez (entretien, immersion…), vos disponibilités. Le référent en "
        "parle avec la personne et vous répond ; vous ne recevez pas ses coordonnées.",
        error_messages={"required": "Écrivez un message au référent de la personne."},
    )

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers


class AnswerForm(DsfrForm):
    decision = forms.ChoiceField(
        label="Réponse de la personne",
        choices=[
            ("accept", "Elle accepte de rencontrer l'employeur"),
            ("decline", "Elle ne donne pas suite"),
        ],
        widget=forms.RadioSelect,
    )
    person_agreed_on = forms.DateField(
        label="Date de son accord",
        required=False,
        widget=DATE,
        help_text="Obligatoire si la personne accepte.",
    )
    answer = forms.CharField(
        label="Votre réponse à l'employeur",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Proposez une rencontre par votre intermédiaire (rendez-vous dans votre structure, vos "
        "coordonnées professionnelles). Jamais le nom, le téléphone, l'adresse ou le courriel de la personne.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "accept" and not data.get("person_agreed_on"):
            self.add_error("person_agreed_on", "Indiquez la date à laquelle la personne a accepté.")
        return data

    @property
    def accepted(self) -> bool:
        return self.cleaned_data.get("decision") == "accept"


CONTACT_STATUSES = [("", "Toutes"), *ContactRequest.Status.choices]
