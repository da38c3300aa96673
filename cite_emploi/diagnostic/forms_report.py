"""Forms of the report pages: they parse input; the rules of a version live in ``services_report``.

* ``ReportDateForm`` — the date of the live report (default today; not in the future, not before 2000).
* ``VersionForm`` — what the coordinator saves: date, title, the two written parts, sharing.
* ``CompareForm`` — two versions among those the reader may see.
"""

from datetime import date

from django import forms
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm

from .services_report import TITLE_MAX

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FIRST_DAY = date(2000, 1, 1)


def _check_day(day: date | None) -> date | None:
    if day is None:
        return day
    if day > timezone.localdate():
        raise forms.ValidationError("La date ne peut pas être dans le futur.")
    if day < FIRST_DAY:
        raise forms.ValidationError("Choisissez une date à partir du 1er janvier 2000.")
    return day


class ReportDateForm(DsfrForm):
    date = forms.DateField(
        label="Données arrêtées au",
        required=False,
        widget=DATE,
        help_text="Le rapport porte sur les douze mois qui se terminent à cette date (par défaut : aujourd'hui).",
    )

    def clean_date(self):
        return _check_day(self.cleaned_data.get("date"))

    def as_of(self) -> date:
        """The valid date asked for (after ``is_valid()``), or today when none was asked."""
        return getattr(self, "cleaned_data", {}).get("date") or timezone.localdate()


class VersionForm(DsfrForm):
    as_of = forms.DateField(
        label="Données arrêtées au",
        widget=DATE,
        help_text="Les chiffres de la version sont calculés à cette date puis figés.",
    )
    title = forms.CharField(
        label="Titre de la version",
        max_length=TITLE_MAX,
        help_text="Par exemple « Diagnostic présenté au comité de pilotage de mars ».",
    )
    analysis = forms.CharField(
        label="5. Analyse partagée",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Ce que les partenaires retiennent des données. Laissez une ligne vide entre deux paragraphes.",
    )
    action_contours = forms.CharField(
        label="6. Premiers contours du plan d'actions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Les premières pistes d'actions qui répondent aux besoins repérés.",
    )
    is_shared = forms.BooleanField(
        label="Partager cette version avec les maires et les partenaires",
        required=False,
        help_text="Une version partagée est lisible par les élus ; une version non partagée reste un document de travail.",
    )

    def clean_as_of(self):
        return _check_day(self.cleaned_data.get("as_of"))


class CompareForm(DsfrForm):
    a = forms.TypedChoiceField(label="Version de référence", coerce=int, choices=())
    b = forms.TypedChoiceField(label="Version comparée", coerce=int, choices=())

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (v.number, f"Version {v.number} — {v.title} (données au {v.as_of:%d/%m/%Y})") for v in versions
        ]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("a") is not None and cleaned.get("a") == cleaned.get("b"):
            raise forms.ValidationError("Choisissez deux versions différentes.")
        return cleaned
