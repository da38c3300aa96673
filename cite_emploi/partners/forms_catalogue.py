"""Filter forms of the catalogue and of the partner map (GET forms: the URL is the search)."""

import html

from django import forms
from django.utils.safestring import mark_safe

from cite_emploi.core.forms import DsfrForm
from cite_emploi.territory.geocoder import geocoder_configured

from . import enums
from .models import Organisation, OrganisationKind
from .search import DEFAULT_RADIUS_M, OrganisationFilters, ServiceFilters

RADIUS_CHOICES = [("500", "500 m"), ("1000", "1 km"), ("2000", "2 km"), ("5000", "5 km"), ("10000", "10 km")]
ANY_QPV = "tous"


class FlatSelect(forms.Select):
    """``forms.Select`` with the same HTML, its options written here rather than by one template
    each: the catalogue's selects have about 150 options (a hundred thématiques), and including a
    template per option cost about a fifth of the page's CPU. A select's options carry no
    attribute but ``selected`` (``option_inherits_attrs`` is false)."""

    template_name = "partners/widgets/select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["options_html"] = options_html(context["widget"]["optgroups"])
        return context


def options_html(optgroups) -> str:
    """What Django's select.html writes between <select> and </select>, whitespace included."""
    parts = []
    for group_name, options, _ in optgroups:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in options:
            selected = " selected" if option["selected"] else ""
            value, label = _escape(str(option["value"])), _escape(option["label"])
            # The blank line after each option is select_option.html's final newline.
            parts.append(f'\n  <option value="{value}"{selected}>{label}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    return mark_safe("".join(parts))  # every value and label is escaped above


def _escape(value) -> str:
    """``conditional_escape`` without its wrapper for lazy arguments, which costs more than escaping."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def thematique_choices(empty: str = "Toutes") -> list:
    """One <optgroup> per category: the whole category first, then its thématiques."""
    choices: list = [("", empty)]
    names = dict(enums.CATEGORIES)
    for category, items in enums.thematiques_by_category().items():
        choices.append((names[category], [(category, f"Toute la catégorie « {names[category]} »"), *items]))
    return choices


def split_thematique(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A chosen value is a category or a thématique (``categorie--sous-theme``)."""
    if not value:
        return (), ()
    return ((), (value,)) if "--" in value else ((value,), ())


def _qpv_choices(qpvs, empty: str) -> list:
    return [("", empty), *((q.code, f"{q.name} ({q.code})") for q in qpvs)]


def _commune_choices(communes) -> list:
    return [("", "Toutes"), *((c.code, c.name) for c in communes)]


class CatalogueForm(DsfrForm):
    q = forms.CharField(
        label="Mots-clés",
        max_length=100,
        required=False,
        help_text="Dans le nom, la description ou l'organisation ; accents et majuscules indifférents",
    )
    thematique = forms.ChoiceField(label="Thématique", required=False, widget=FlatSelect)
    public = forms.ChoiceField(label="Public", required=False, widget=FlatSelect)
    commune = forms.ChoiceField(label="Commune de délivrance", required=False, widget=FlatSelect)
    qpv = forms.ChoiceField(label="Délivré dans le quartier", required=False, widget=FlatSelect)
    accueil = forms.MultipleChoiceField(
        label="Mode d'accueil",
        required=False,
        choices=enums.RECEPTION_MODES,
        widget=forms.CheckboxSelectMultiple,
    )
    frais = forms.MultipleChoiceField(
        label="Frais", required=False, choices=enums.FEES, widget=forms.CheckboxSelectMultiple
    )
    adresse = forms.CharField(
        label="Près de l'adresse", max_length=200, required=False, help_text="Numéro, voie et commune"
    )
    depuis_qpv = forms.ChoiceField(
        label="Ou près du quartier",
        required=False,
        widget=FlatSelect,
        help_text="Distance mesurée depuis le centre du quartier (à défaut d'adresse)",
    )
    rayon = forms.TypedChoiceField(
        label="Dans un rayon de",
        choices=RADIUS_CHOICES,
        coerce=int,
        required=False,
        widget=FlatSelect,
        empty_value=DEFAULT_RADIUS_M,
        initial=str(DEFAULT_RADIUS_M),
    )
    # Resolved origin, passed to the map's JSON so the address is geocoded once per search.
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)

    def __init__(self, *args, communes=(), qpvs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["thematique"].choices = thematique_choices()
        self.fields["public"].choices = [("", "Tous"), *enums.PUBLICS]
        self.fields["commune"].choices = _commune_choices(communes)
        self.fields["qpv"].choices = _qpv_choices(qpvs, "Tous")
        self.fields["depuis_qpv"].choices = _qpv_choices(qpvs, "Aucun")
        if not geocoder_configured():
            self.fields[
                "adresse"
            ].help_text = (
                "Aucun service de géocodage n'est configuré : choisissez plutôt un quartier ci-dessous"
            )

    def value(self, name, default=None):
        return (getattr(self, "cleaned_data", None) or {}).get(name, default)

    def single(self, name) -> tuple[str, ...]:
        value = self.value(name)
        return (value,) if value else ()

    @property
    def wants_distance(self) -> bool:
        return bool(
            self.value("adresse")
            or self.value("depuis_qpv")
            or (self.value("lon") is not None and self.value("lat") is not None)
        )

    def origin_request(self) -> dict:
        """Arguments of ``search.resolve_origin``."""
        return {
            "address": self.value("adresse", ""),
            "qpv_code": self.value("depuis_qpv", ""),
            "lon": self.value("lon"),
            "lat": self.value("lat"),
        }

    def filters(self, origin=None) -> ServiceFilters:
        """The search the valid fields describe (an invalid field is left out)."""
        categories, thematiques = split_thematique(self.value("thematique", ""))
        single = self.single
        return ServiceFilters(
            q=self.value("q", ""),
            categories=categories,
            thematiques=thematiques,
            publics=single("public"),
            communes=single("commune"),
            qpvs=single("qpv"),
            reception_modes=tuple(self.value("accueil") or ()),
            fees=tuple(self.value("frais") or ()),
            origin=origin,
            radius_m=self.value("rayon") or DEFAULT_RADIUS_M,
        )


def network_choices(territory) -> list:
    """The networks carried by at least one organisation of the territory."""
    present = set()
    for networks in Organisation.objects.in_territory(territory).values_list("networks", flat=True):
        present.update(networks or ())
    return [("", "Tous"), *((v, label) for v, label in enums.NETWORKS if v in present)]


class PartnerMapForm(DsfrForm):
    q = forms.CharField(label="Nom", max_length=100, required=False)
    nature = forms.ChoiceField(label="Nature", required=False, widget=FlatSelect)
    reseau = forms.ChoiceField(label="Réseau porteur", required=False, widget=FlatSelect)
    thematique = forms.ChoiceField(
        label="Thématique de leurs services",
        required=False,
        widget=FlatSelect,
        help_text="Organisations ayant au moins un service de cette thématique",
    )
    presence = forms.ChoiceField(
        label="Présence en quartier prioritaire",
        required=False,
        widget=FlatSelect,
        help_text="Siège ou permanence dans le quartier",
    )
    commune = forms.ChoiceField(label="Commune du siège", required=False, widget=FlatSelect)

    def __init__(self, *args, territory=None, communes=(), qpvs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nature"].choices = [("", "Toutes"), *OrganisationKind.choices]
        self.fields["reseau"].choices = network_choices(territory) if territory else [("", "Tous")]
        self.fields["thematique"].choices = thematique_choices()
        self.fields["presence"].choices = [
            ("", "Indifférente"),
            (ANY_QPV, "Dans au moins un quartier prioritaire"),
            *((q.code, f"{q.name} ({q.code})") for q in qpvs),
        ]
        self.fields["commune"].choices = _commune_choices(communes)

    def value(self, name, default=None):
        return (getattr(self, "cleaned_data", None) or {}).get(name, default)

    def single(self, name) -> tuple[str, ...]:
        value = self.value(name)
        return (value,) if value else ()

    def filters(self) -> OrganisationFilters:
        categories, thematiques = split_thematique(self.value("thematique", ""))
        presence = self.value("presence", "")
        single = self.single
        return OrganisationFilters(
            q=self.value("q", ""),
            kinds=single("nature"),
            networks=single("reseau"),
            categories=categories,
            thematiques=thematiques,
            communes=single("commune"),
            qpvs=(presence,) if presence and presence != ANY_QPV else (),
            in_qpv=presence == ANY_QPV,
        )

    def describe(self) -> str:
        """The active filters in words, for the head of an export."""
        parts = []
        for name in ("q", "nature", "reseau", "thematique", "presence", "commune"):
            value = self.value(name)
            if value:
                field = self.fields[name]
                choices = dict(_flat(field.choices)) if hasattr(field, "choices") else {}
                parts.append(f"{field.label} : {choices.get(value, value)}")
        return " ; ".join(parts)


def _flat(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield value, label
