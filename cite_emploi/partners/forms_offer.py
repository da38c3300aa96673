"""Forms of the import and export of the offer."""

from django import forms

from cite_emploi.core.forms import DsfrForm

from .offer_export import FORMATS
from .offer_import import MAX_UPLOAD_BYTES, OfferFileError, check_extension


class OfferImportForm(DsfrForm):
    fichier = forms.FileField(
        label="Fichier à importer",
        help_text=(
            "JSON data·inclusion, CSV data·inclusion (un fichier ou une archive .zip contenant "
            f"structures.csv et services.csv) ou classeur Excel .xlsx ; {MAX_UPLOAD_BYTES // 2**20} Mo au plus."
        ),
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".json,.csv,.xlsx,.zip"}),
    )
    partiel = forms.BooleanField(
        label="Import partiel",
        required=False,
        help_text=(
            "Importer les enregistrements valides et écarter les autres. Sans cette case, un fichier "
            "qui contient un seul enregistrement rejeté n'importe rien."
        ),
    )
    simulation = forms.BooleanField(
        label="Simulation",
        required=False,
        help_text="Tout vérifier et afficher le compte rendu, sans rien enregistrer.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].widget.group_class = "fr-upload-group"

    def clean_fichier(self):
        upload = self.cleaned_data["fichier"]
        try:
            check_extension(upload.name)
        except OfferFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"Le fichier dépasse {MAX_UPLOAD_BYTES // 2**20} Mo : découpez-le ou importez-le en ligne de "
                "commande (cite-emploi import-offer)."
            )
        return upload


class OfferExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(key, label) for key, (label, _, _) in FORMATS.items()])
