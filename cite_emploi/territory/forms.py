from django import forms

from cite_emploi.core.forms import DsfrForm

from .models import QPV


class AddressForm(DsfrForm):
    adresse = forms.CharField(
        label="Adresse",
        max_length=200,
        help_text="Numéro, voie et commune, par exemple : 1 place Salvador Allende, Créteil",
    )


class PointForm(DsfrForm):
    lon = forms.FloatField(label="Longitude", min_value=-180, max_value=180, help_text="Par exemple : 2.4551")
    lat = forms.FloatField(label="Latitude", min_value=-90, max_value=90, help_text="Par exemple : 48.7793")


class ManualQpvForm(DsfrForm):
    qpv = forms.ModelChoiceField(
        label="Quartier prioritaire", queryset=QPV.objects.none(), empty_label="Choisir"
    )

    def __init__(self, *args, qpvs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if qpvs is not None:
            self.fields["qpv"].queryset = qpvs
