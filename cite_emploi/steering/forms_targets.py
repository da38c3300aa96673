"""Forms of the dashboards' pages: the date of a dashboard, the year of the quarterly report, a target
and a manual reading. They parse; the rules are in ``services_targets``."""

from django import forms
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.places import commune_values, qpv_values

FIRST_YEAR = 2015  # the first contrats de ville of the 2015 geography


def _date_field(label: str, **options) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options
    )


class AsOfForm(DsfrForm):
    """The date of a dashboard: figures about people cover the twelve months that end on it."""

    date = _date_field(
        "Données arrêtées au",
        required=False,
        help_text="Les chiffres sur les personnes portent sur les douze mois qui se terminent à cette date.",
    )

    def clean_date(self):
        day = self.cleaned_data.get("date")
        if day and day > timezone.localdate():
            raise forms.ValidationError("Choisissez une date passée ou celle d'aujourd'hui.")
        return day

    def as_of(self):
        if self.is_valid() and self.cleaned_data.get("date"):
            return self.cleaned_data["date"]
        return timezone.localdate()


class YearForm(DsfrForm):
    annee = forms.IntegerField(label="Année", required=False)

    def clean_annee(self):
        year = self.cleaned_data.get("annee")
        this_year = timezone.localdate().year
        if year is not None and not FIRST_YEAR <= year <= this_year:
            raise forms.ValidationError(f"Choisissez une année entre {FIRST_YEAR} et {this_year}.")
        return year

    def year(self) -> int:
        if self.is_valid() and self.cleaned_data.get("annee"):
            return self.cleaned_data["annee"]
        return timezone.localdate().year


MANUAL = ""


def indicator_choices(territory) -> list[tuple[str, list[tuple[str, str]]] | tuple[str, str]]:
    """The registry's indicators grouped by theme, after the manual choice."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in indicators.all_for(territory):
        groups.setdefault(item.theme or "Autres indicateurs", []).append(
            (item.code, f"{item.label} ({item.unit})")
        )
    return [(MANUAL, "Aucun : relevé manuel"), *groups.items()]


def place_choices(territory) -> list:
    return [
        ("", "Tout le territoire"),
        ("Communes", [(f"commune:{code}", name) for code, name in commune_values(territory)]),
        (
            "Quartiers prioritaires",
            [(f"qpv:{code}", f"{name} ({code})") for code, name in qpv_values(territory)],
        ),
    ]


class TargetForm(DsfrForm):
    label = forms.CharField(label="Intitulé de l'objectif", max_length=200)
    indicator = forms.ChoiceField(
        label="Indicateur qui le mesure",
        required=False,
        help_text=(
            "Choisissez un indicateur de la plateforme : le réalisé se calcule tout seul. "
            "« Relevé manuel » : vous saisirez la valeur atteinte à chaque point d'étape."
        ),
    )
    place = forms.ChoiceField(
        label="Lieu", required=False, help_text="Seulement pour un objectif mesuré par un indicateur."
    )
    target = forms.DecimalField(label="Cible", max_digits=12, decimal_places=2, min_value=0)
    unit = forms.CharField(
        label="Unité", max_length=30, required=False, help_text="Vide : l'unité de l'indicateur."
    )
    starts_on = _date_field("Du")
    ends_on = _date_field("Au")

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = indicator_choices(territory)
        self.fields["place"].choices = place_choices(territory)

    @classmethod
    def initial_for(cls, target) -> dict:
        place = f"{target.where_level}:{target.where_code}" if target.where_level else ""
        return {
            "label": target.label,
            "indicator": target.indicator,
            "place": place,
            "target": target.target,
            "unit": target.unit,
            "starts_on": target.starts_on,
            "ends_on": target.ends_on,
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        level, _, code = (data.get("place") or "").partition(":")
        return {
            "label": data["label"],
            "indicator": data.get("indicator") or "",
            "where_level": level,
            "where_code": code,
            "target": data["target"],
            "unit": data.get("unit") or "",
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
        }


class ReadingForm(DsfrForm):
    measured_on = _date_field("À la date du")
    value = forms.DecimalField(label="Valeur atteinte", max_digits=12, decimal_places=2, min_value=0)
    note = forms.CharField(label="Précision", max_length=300, required=False)
