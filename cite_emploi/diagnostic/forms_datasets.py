"""Form of the dataset import page: it parses input; the rules live in ``datasets`` and the services."""

from django import forms

from cite_emploi.core.forms import DsfrForm

from .datasets import LICENCE_MAX, MAX_LINES, MAX_UPLOAD_BYTES, SOURCE_MAX
from .services_datasets import TITLE_MAX, URL_MAX

LINES_LIMIT = f"{MAX_LINES:,}".replace(",", "\u202f")


class DatasetImportForm(DsfrForm):
    fichier = forms.FileField(
        label="Fichier de statistiques",
        help_text=(
            "CSV (séparateur point-virgule, virgule ou tabulation ; UTF-8 ou Windows) ou classeur Excel .xlsx "
            "(première feuille), au format long : une observation par ligne, la première ligne donnant les "
            f"titres des colonnes ; {MAX_UPLOAD_BYTES // 2**20} Mo et {LINES_LIMIT} lignes au plus."
        ),
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".csv,.txt,.xlsx"}),
    )
    titre = forms.CharField(
        label="Intitulé du jeu de données",
        max_length=TITLE_MAX,
        help_text="Par exemple « Demandeurs d'emploi par QPV, 2020-2024 ».",
    )
    source = forms.CharField(
        label="Source",
        max_length=SOURCE_MAX,
        help_text=(
            "Le producteur et la publication, par exemple « INSEE, recensement de la population 2021 ». "
            "Une ligne du fichier peut donner sa propre source (colonne source)."
        ),
    )
    licence = forms.CharField(
        label="Licence",
        max_length=LICENCE_MAX,
        initial="Licence Ouverte 2.0",
        help_text="La licence de réutilisation indiquée par le producteur.",
    )
    url = forms.URLField(
        label="Adresse de la source",
        required=False,
        max_length=URL_MAX,
        assume_scheme="https",
        help_text="La page où le fichier a été téléchargé (facultatif).",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Champ, date d'extraction, traitements faits avant l'import (facultatif).",
    )
    partiel = forms.BooleanField(
        label="Importer les lignes valides et écarter les autres",
        required=False,
        help_text=(
            "Sans cette case, un fichier qui contient une seule ligne en erreur n'importe rien. Avec, les lignes "
            "en erreur sont écartées et leur nombre est indiqué avec le jeu de données."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].widget.group_class = "fr-upload-group"

    def clean_fichier(self):
        upload = self.cleaned_data["fichier"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"Le fichier dépasse {MAX_UPLOAD_BYTES // 2**20} Mo : découpez-le (par indicateur ou par année) "
                "et importez chaque partie."
            )
        return upload
