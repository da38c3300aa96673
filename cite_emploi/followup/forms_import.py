"""Forms of the beneficiary import pages: they parse input; the rules live in ``import_jobs``."""

from django import forms

from cite_emploi.core.forms import DsfrForm
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.geocoder import geocoder_configured

from .beneficiary_import import MAX_UPLOAD_BYTES
from .beneficiary_mapping import TARGETS, MappingError, check_mapping

NOT_IMPORTED = "— Ne pas importer —"


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class UploadForm(DsfrForm):
    fichier = forms.FileField(
        label="Fichier des bénéficiaires",
        help_text=(
            "Fichier CSV (séparateur point-virgule, virgule ou tabulation ; UTF-8 ou Windows) ou classeur "
            f"Excel .xlsx (première feuille) ; la première ligne donne les titres des colonnes ; "
            f"{MAX_UPLOAD_BYTES // 2**20} Mo au plus."
        ),
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].widget.group_class = "fr-upload-group"
        if len(organisations) > 1:
            self.fields["organisation"] = OrganisationChoice(
                label="Organisation qui accompagne ces personnes",
                queryset=Organisation.objects.filter(pk__in=[o.pk for o in organisations]).order_by("name"),
                help_text="Vous devenez référent·e de parcours de chaque personne importée, dans cette organisation.",
            )


class MappingForm(DsfrForm):
    """One select per field of a beneficiary, listing the columns of the file."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", NOT_IMPORTED)] + [(h, h) for h in headers if h]
        for target in TARGETS:
            self.fields[target.name] = forms.ChoiceField(
                label=target.label,
                choices=choices,
                required=target.required,
                help_text=f"Attendu : {target.expected}.",
            )
        if geocoder_configured():
            self.fields["geocode"] = forms.BooleanField(
                label="Géocoder les adresses",
                required=False,
                initial=True,
                help_text=(
                    "Pour les lignes sans coordonnées, l'adresse, le code postal et le code commune sont "
                    "envoyés au service national d'adresses (sans nom ni autre donnée) pour trouver le "
                    "quartier prioritaire."
                ),
            )

    def mapping(self) -> dict[str, str]:
        return {t.name: self.cleaned_data.get(t.name) or "" for t in TARGETS if self.cleaned_data.get(t.name)}

    def clean(self):
        cleaned = super().clean()
        try:
            check_mapping(self.mapping(), self.headers)
        except MappingError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


class ConfirmImportForm(DsfrForm):
    def __init__(self, *args, rejected: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        if rejected:
            self.fields["partiel"] = forms.BooleanField(
                label="Accepter un import partiel",
                required=False,
                help_text=(
                    f"Les lignes en erreur ({rejected}) sont écartées, les autres sont importées. Sans cette "
                    "case, rien n'est importé tant que le fichier contient une erreur."
                ),
            )
