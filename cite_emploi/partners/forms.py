from django import forms

from cite_emploi.core.forms import DsfrForm
from cite_emploi.territory.models import Commune

from . import enums
from .models import Contact, Organisation, OrganisationKind, Partnership, Service, Site
from .siret import siret_error


class MultipleChoice(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class AddressFields(forms.Form):
    """Address part of the forms: coordinates give the QPV through the locator on save."""

    address = forms.CharField(label="Adresse", max_length=255, required=False, help_text="Numéro et voie")
    address_complement = forms.CharField(label="Complément d'adresse", max_length=255, required=False)
    postcode = forms.RegexField(
        label="Code postal",
        regex=r"^\d{5}$",
        required=False,
        error_messages={"invalid": "5 chiffres attendus."},
    )
    commune = CommuneChoice(
        label="Commune", queryset=Commune.objects.none(), required=False, empty_label="Choisir"
    )
    longitude = forms.FloatField(
        label="Longitude",
        required=False,
        min_value=-180,
        max_value=180,
        help_text="Degrés décimaux, ex. 2.4551 ; donne le quartier prioritaire",
    )
    latitude = forms.FloatField(
        label="Latitude",
        required=False,
        min_value=-90,
        max_value=90,
        help_text="Degrés décimaux, ex. 48.7793",
    )

    def set_communes(self, territory):
        self.fields["commune"].queryset = Commune.objects.filter(
            territories=territory
        ) | Commune.objects.filter(qpvs__perimeter_areas__perimeter__territory=territory)
        self.fields["commune"].queryset = self.fields["commune"].queryset.distinct().order_by("name")

    def clean(self):
        data = super().clean()
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            raise forms.ValidationError(
                "Renseignez la longitude et la latitude ensemble, ou aucune des deux."
            )
        return data


class OrganisationForm(DsfrForm, AddressFields, forms.ModelForm):
    networks = MultipleChoice(
        label="Réseaux porteurs (data·inclusion)", choices=enums.NETWORKS, required=False
    )
    publics = MultipleChoice(label="Publics accompagnés", choices=enums.PUBLICS, required=False)

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "networks",
            "siret",
            "description",
            "address",
            "address_complement",
            "postcode",
            "commune",
            "longitude",
            "latitude",
            "phone",
            "email",
            "website",
            "opening_hours",
            "accessibility_url",
            "publics",
        ]
        help_texts = {
            "phone": "Un numéro d'accueil, jamais un numéro personnel.",
            "email": "Une adresse de fonction (accueil@…), jamais une adresse personnelle.",
            "opening_hours": "Format OpenStreetMap, ex. « Mo-Fr 09:00-12:30,13:30-17:00 ».",
            "siret": "14 chiffres.",
        }

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_communes(territory)
        self.fields["kind"].choices = OrganisationKind.choices

    def clean_siret(self):
        value = self.cleaned_data["siret"].replace(" ", "")
        if value and (error := siret_error(value)):
            raise forms.ValidationError(error)
        return value


class SiteForm(DsfrForm, AddressFields, forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name",
            "is_permanence",
            "address",
            "address_complement",
            "postcode",
            "commune",
            "longitude",
            "latitude",
            "opening_hours",
            "notes",
        ]
        help_texts = {
            "is_permanence": "Une permanence tenue dans un quartier, hors des locaux de l'organisation."
        }

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_communes(territory)


class ContactForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["function", "email", "phone"]
        help_texts = {
            "function": "Une fonction (« Accueil », « Référent RSA »), jamais le nom d'une personne."
        }


class PartnershipForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ["target", "kind", "description", "started_on", "ended_on"]
        labels = {"target": "Organisation partenaire"}
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "ended_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Organisation.objects.filter(
            territory=organisation.territory
        ).exclude(pk=organisation.pk)


class ServiceForm(DsfrForm, AddressFields, forms.ModelForm):
    type = forms.ChoiceField(
        label="Type de service", choices=[("", "Choisir"), *enums.SERVICE_TYPES], required=False
    )
    thematiques = forms.MultipleChoiceField(
        label="Thématiques",
        choices=enums.grouped_thematique_choices(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
    )
    fees = forms.ChoiceField(label="Frais", choices=[("", "Non précisé"), *enums.FEES], required=False)
    publics = MultipleChoice(label="Publics", choices=enums.PUBLICS, required=False)
    reception_modes = MultipleChoice(label="Modes d'accueil", choices=enums.RECEPTION_MODES, required=False)
    mobilisation_modes = MultipleChoice(
        label="Modes de mobilisation", choices=enums.MOBILISATION_MODES, required=False
    )
    mobilisable_by = MultipleChoice(label="Mobilisable par", choices=enums.MOBILISABLE_BY, required=False)
    eligibility_zone = forms.CharField(
        label="Zone d'éligibilité",
        required=False,
        help_text="Codes séparés par des virgules : commune (94028), département (94), EPCI ou EPT (SIREN), « france ».",
    )
    sites = forms.ModelMultipleChoiceField(
        label="Lieux de délivrance",
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "type",
            "thematiques",
            "fees",
            "fees_details",
            "publics",
            "publics_details",
            "access_conditions",
            "reception_modes",
            "mobilisation_modes",
            "mobilisable_by",
            "mobilisation_details",
            "mobilisation_link",
            "phone",
            "email",
            "contact_name",
            "eligibility_zone",
            "address",
            "address_complement",
            "postcode",
            "commune",
            "longitude",
            "latitude",
            "sites",
            "opening_hours",
            "weekly_hours",
            "weeks",
        ]
        help_texts = {
            "name": "Entre 3 et 150 caractères, sans point final.",
            "description": "Idéalement 200 à 2 000 caractères, en phrases courtes.",
            "opening_hours": "Format OpenStreetMap, ex. « Mo-Fr 09:00-12:00 ».",
            "contact_name": "Facultatif : préférez le téléphone ou le courriel de l'accueil.",
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_communes(organisation.territory)
        self.fields["sites"].queryset = organisation.sites.all()
        if self.instance.pk:
            self.initial["eligibility_zone"] = ", ".join(self.instance.eligibility_zone)

    def clean_eligibility_zone(self):
        codes = [c.strip() for c in self.cleaned_data["eligibility_zone"].split(",") if c.strip()]
        for code in codes:
            if not (code == "france" or (code.isalnum() and len(code) in (2, 3, 5, 9))):
                raise forms.ValidationError(
                    f"« {code} » n'est pas un code de commune, département, EPCI ou pays."
                )
        return codes

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if len(name) < 3:
            raise forms.ValidationError("Au moins 3 caractères.")
        if name.endswith(".") and not name.endswith("etc."):
            raise forms.ValidationError("Le nom ne se termine pas par un point.")
        return name

    def clean_publics(self):
        publics = self.cleaned_data["publics"]
        if enums.TOUS_PUBLICS in publics and len(publics) > 1:
            raise forms.ValidationError("« Tous publics » ne se combine pas avec d'autres publics.")
        return publics
