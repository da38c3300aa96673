"""Forms of the action plan and its money: they parse input; the rules live in ``services_plan`` and
``services_money``. Amounts are typed the French way (« 12 500,50 ») and checked by the same rule as
the services, so a mistake shows under its field."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from dsfr.utils import dsfr_input_class_attr

from cite_emploi.core.forms import DsfrForm
from cite_emploi.diagnostic import content
from cite_emploi.diagnostic.gaps import gap_analysis
from cite_emploi.diagnostic.models import ReportVersion
from cite_emploi.partners import enums
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.models import QPV

from . import queries_plan as queries
from .models import Action, ActionPlan, Axis, Funding, Public
from .services_money import MAX_DOCUMENT_BYTES
from .services_plan import FIRST_DAY, LAST_DAY, PlanError, clean_amount

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ANNUITY_ROWS = 4


class DayField(forms.DateField):
    widget = DATE

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError("Choisissez une date entre l'an 2000 et l'an 2100.")


class AmountField(forms.CharField):
    """Euros, typed « 12 500,50 » or « 12500.5 »: cleaned to a ``Decimal`` by the services' rule."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "En euros, par exemple 12 500,50.")
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return clean_amount(value, "Le montant")
        except PlanError as error:
            raise forms.ValidationError(error.message) from None


class OrganisationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class QpvChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class DiagnosticChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} (version {obj.number}, données au {obj.as_of:%d/%m/%Y})"


def perimeter_qpvs(territory):
    from cite_emploi.diagnostic.places import qpv_values

    return QPV.objects.filter(code__in=[c for c, _ in qpv_values(territory)], geography_year=2024).order_by(
        "name"
    )


class PlanForm(DsfrForm):
    title = forms.CharField(
        label="Intitulé",
        max_length=200,
        help_text="Par exemple « Plan d'actions 2022-2023 de la Cité de l'emploi ».",
    )
    starts_on = DayField(label="Début")
    ends_on = DayField(label="Fin")
    diagnostic = DiagnosticChoice(
        label="Diagnostic de référence",
        queryset=ReportVersion.objects.none(),
        required=False,
        empty_label="Aucun",
        help_text="La version du diagnostic territorial partagé dont le plan reprend les premiers contours.",
    )

    def __init__(self, *args, territory, instance: ActionPlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnostic"].queryset = ReportVersion.objects.filter(territory=territory).order_by(
            "-number"
        )
        if instance is not None:
            for name in ("title", "starts_on", "ends_on", "diagnostic"):
                self.initial.setdefault(name, getattr(instance, name))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            self.add_error("ends_on", "La fin du plan doit suivre son début.")
        return data


class AdoptForm(DsfrForm):
    adopted_on = DayField(
        label="Adopté le",
        required=False,
        help_text="La date du comité qui l'adopte ; aujourd'hui par défaut.",
    )


def gap_choices(plan: ActionPlan, keep: str = "") -> list[tuple[str, str]]:
    """The gaps of the diagnostic at the plan's diagnostic date (today without one), as « QPV|catégorie »."""
    as_of = plan.diagnostic.as_of if plan.diagnostic_id else timezone.localdate()
    choices = [("", "Aucun besoin identifié en particulier")]
    for gap in gap_analysis(plan.territory, content.period_at(as_of)):
        choices.append(
            (
                f"{gap.qpv_code}|{gap.category}",
                f"{gap.qpv_name} — {gap.category_label} ({gap.level_label.lower()})",
            )
        )
    if keep and keep not in {value for value, _ in choices}:
        qpv_code, category = keep.split("|", 1)
        names = dict(perimeter_qpvs(plan.territory).values_list("code", "name"))
        label = dict(enums.CATEGORIES).get(category, category)
        choices.append((keep, f"{names.get(qpv_code, qpv_code)} — {label} (besoin choisi auparavant)"))
    return choices


class ActionForm(DsfrForm):
    number = forms.IntegerField(
        label="Numéro",
        required=False,
        min_value=1,
        max_value=999,
        help_text="A1, A2… : laissé vide, le suivant est pris.",
    )
    title = forms.CharField(label="Intitulé", max_length=200)
    axis = forms.ChoiceField(label="Axe", choices=[("", "Choisissez l'axe"), *Axis.choices])
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=8000
    )
    lead_organisation = forms.ModelChoiceField(
        label="Structure pilote",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="À désigner",
    )
    partners = OrganisationChoices(label="Partenaires", queryset=Organisation.objects.none(), required=False)
    qpvs = QpvChoices(
        label="Quartiers ciblés",
        queryset=QPV.objects.none(),
        required=False,
        help_text="Aucun quartier coché : l'action concerne tout le territoire.",
    )
    publics = forms.MultipleChoiceField(
        label="Publics ciblés", choices=Public.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_on = DayField(label="Début")
    ends_on = DayField(label="Fin")
    status = forms.ChoiceField(label="Statut", choices=Action.Status.choices, initial=Action.Status.PLANNED)
    gap = forms.ChoiceField(
        label="Besoin du diagnostic auquel l'action répond",
        required=False,
        help_text="Les besoins non couverts ou mal couverts relevés par le diagnostic, par quartier et catégorie.",
    )

    def __init__(self, *args, plan: ActionPlan, instance: Action | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        territory = plan.territory
        organisations = queries.organisations(territory)
        self.fields["lead_organisation"].queryset = organisations
        self.fields["partners"].queryset = organisations
        self.fields["qpvs"].queryset = perimeter_qpvs(territory)
        keep = ""
        if instance is not None:
            for name in (
                "number",
                "title",
                "axis",
                "description",
                "lead_organisation",
                "publics",
                "starts_on",
                "ends_on",
                "status",
            ):
                self.initial.setdefault(name, getattr(instance, name))
            self.initial.setdefault("partners", list(instance.partners.all()))
            self.initial.setdefault("qpvs", list(instance.qpvs.all()))
            if instance.gap_qpv and instance.gap_category:
                keep = f"{instance.gap_qpv}|{instance.gap_category}"
                self.initial.setdefault("gap", keep)
        else:
            self.initial.setdefault("starts_on", plan.starts_on)
            self.initial.setdefault("ends_on", plan.ends_on)
        self.fields["gap"].choices = gap_choices(plan, keep)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            self.add_error("ends_on", "La fin de l'action doit suivre son début.")
        return data

    def action_fields(self) -> dict:
        data = dict(self.cleaned_data)
        gap = data.pop("gap", "") or ""
        data["gap_qpv"], _, data["gap_category"] = gap.partition("|")
        return data


class MilestoneForm(DsfrForm):
    title = forms.CharField(
        label="Étape", max_length=200, help_text="Par exemple « Premier job dating au Mont-Mesly »."
    )
    due_on = DayField(label="Échéance")


class MilestoneDoneForm(DsfrForm):
    done_on = DayField(label="Réalisée le", required=False)


class FundingForm(DsfrForm):
    title = forms.CharField(
        label="Intitulé", max_length=200, help_text="Par exemple « Subvention Cité de l'emploi 2022-2023 »."
    )
    kind = forms.ChoiceField(label="Nature", choices=[("", "Choisissez la nature"), *Funding.Kind.choices])
    funder = forms.CharField(
        label="Financeur", max_length=200, help_text="Par exemple « État — ANCT » ou « Ville de Créteil »."
    )
    funder_organisation = forms.ModelChoiceField(
        label="Structure qui finance (si elle est dans la cartographie)",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Aucune",
    )
    reference = forms.CharField(label="Référence (convention, arrêté)", max_length=120, required=False)
    notes = forms.CharField(
        label="Remarques", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def __init__(self, *args, territory, instance: Funding | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder_organisation"].queryset = queries.organisations(territory)
        years = list(instance.years.order_by("year")) if instance is not None else []
        self.annuity_rows = max(ANNUITY_ROWS, len(years) + 1)
        for index in range(1, self.annuity_rows + 1):
            self.fields[f"year_{index}"] = forms.IntegerField(
                label=f"Année {index}", required=False, min_value=2000, max_value=2100
            )
            self.fields[f"amount_{index}"] = AmountField(label=f"Montant accordé {index}", required=False)
            # Added after DsfrBaseForm styled the declared fields: style these the same way.
            dsfr_input_class_attr(self[f"year_{index}"])
            dsfr_input_class_attr(self[f"amount_{index}"])
        if instance is not None:
            for name in ("title", "kind", "funder", "funder_organisation", "reference", "notes"):
                self.initial.setdefault(name, getattr(instance, name))
            for index, annuity in enumerate(years, start=1):
                self.initial.setdefault(f"year_{index}", annuity.year)
                self.initial.setdefault(f"amount_{index}", f"{annuity.amount}".replace(".", ","))

    def annuity_fields(self):
        """(year field, amount field) of each row, for the template."""
        return [(self[f"year_{i}"], self[f"amount_{i}"]) for i in range(1, self.annuity_rows + 1)]

    def clean(self):
        data = super().clean()
        years: dict[int, object] = {}
        for index in range(1, self.annuity_rows + 1):
            year, amount = data.get(f"year_{index}"), data.get(f"amount_{index}")
            if year is None and amount is None:
                continue
            if year is None:
                self.add_error(f"year_{index}", "Indiquez l'année de ce montant.")
            elif amount is None:
                self.add_error(f"amount_{index}", f"Indiquez le montant accordé pour {year}.")
            elif year in years:
                self.add_error(f"year_{index}", f"L'année {year} est déjà indiquée.")
            else:
                years[year] = amount
        if not years and not self.errors:
            raise forms.ValidationError("Indiquez au moins une annuité : l'année et le montant accordé.")
        data["years"] = years
        return data

    def funding_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            name: data.get(name)
            for name in ("title", "kind", "funder", "funder_organisation", "reference", "notes")
        }
        return {**fields, "years": data["years"]}


class BudgetLineForm(DsfrForm):
    funding = forms.ModelChoiceField(
        label="Financement", queryset=Funding.objects.none(), empty_label="Choisissez"
    )
    year = forms.TypedChoiceField(label="Année", coerce=int)
    amount = AmountField(label="Montant prévu")

    def __init__(self, *args, action: Action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funding"].queryset = Funding.objects.filter(
            territory_id=action.plan.territory_id
        ).order_by("kind", "title")
        self.fields["year"].choices = [
            (y, str(y)) for y in range(action.starts_on.year, action.ends_on.year + 1)
        ]
        self.fields["amount"].help_text = (
            "En euros, par exemple 12 500,50. Une ligne qui existe déjà pour ce financement et cette année "
            "prend ce nouveau montant."
        )


class ExpenseForm(DsfrForm):
    funding = forms.ModelChoiceField(
        label="Financement", queryset=Funding.objects.none(), empty_label="Choisissez"
    )
    spent_on = DayField(label="Date de la dépense")
    amount = AmountField(label="Montant")
    label = forms.CharField(
        label="Objet", max_length=200, help_text="Par exemple « Location de la salle du forum »."
    )
    supplier = forms.CharField(
        label="Fournisseur ou bénéficiaire du paiement", max_length=200, required=False
    )
    document = forms.FileField(
        label="Pièce justificative",
        required=False,
        help_text=f"Facture, bon de commande… en PDF, JPEG ou PNG, {MAX_DOCUMENT_BYTES // 2**20} Mo au plus.",
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, action: Action, **kwargs):
        super().__init__(*args, **kwargs)
        funded = action.budget_lines.values_list("funding_id", flat=True)
        self.fields["funding"].queryset = Funding.objects.filter(pk__in=funded).order_by("kind", "title")
        self.fields["document"].widget.group_class = "fr-upload-group"
        today = timezone.localdate()
        self.initial.setdefault("spent_on", min(max(today, action.starts_on), action.ends_on))

    def clean_spent_on(self):
        day: date | None = self.cleaned_data.get("spent_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("La date de la dépense ne peut pas être dans le futur.")
        return day

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload and upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(f"La pièce justificative dépasse {MAX_DOCUMENT_BYTES // 2**20} Mo.")
        return upload
