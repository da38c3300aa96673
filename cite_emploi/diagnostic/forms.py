from django import forms
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm

from . import indicators


class AsOfForm(DsfrForm):
    """The date the diagnostic is computed at: the period is the twelve months that end on it."""

    date = forms.DateField(
        label="Données arrêtées au",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Les chiffres portent sur les douze mois qui se terminent à cette date.",
    )

    def as_of(self):
        if self.is_valid() and self.cleaned_data.get("date"):
            return self.cleaned_data["date"]
        return timezone.localdate()


class IndicatorExportForm(AsOfForm):
    par = forms.ChoiceField(label="Ventilation", required=False, choices=())

    def __init__(self, *args, indicator: indicators.Indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["par"].choices = [("", "Aucune (total)")] + [
            (b, indicators.DIMENSION_LABELS.get(b, b)) for b in indicator.breakdowns
        ]
