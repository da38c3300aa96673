"""Forms of the governance pages: committees, meetings, decisions and the list's filters.

They parse the input and offer the territory's choices; the rules live in ``services_committees``.
"""

from django import forms

from cite_emploi.core.forms import DsfrForm
from cite_emploi.partners.models import Organisation

from . import queries_committees as queries
from .models import Action, Committee, Decision

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NO_NAME = "Des professionnels et des élus seulement : jamais le nom d'une personne accompagnée."


class OrganisationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class CommitteeForm(DsfrForm):
    kind = forms.ChoiceField(label="Nature", choices=Committee.Kind.choices)
    name = forms.CharField(
        label="Nom",
        max_length=200,
        help_text="Par exemple « Comité de pilotage de la Cité de l'emploi ».",
    )
    chairs = forms.CharField(
        label="Présidence",
        max_length=300,
        required=False,
        help_text="Par exemple « Le préfet du Val-de-Marne et le président du territoire ».",
    )
    description = forms.CharField(
        label="Rôle du comité", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    members = OrganisationChoices(
        label="Structures membres", queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = queries.member_choices(territory)


class MeetingForm(DsfrForm):
    held_on = forms.DateField(label="Date", widget=DATE)
    place = forms.CharField(label="Lieu", max_length=200, required=False)
    agenda = forms.CharField(
        label="Ordre du jour",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Un point par ligne.",
    )
    attendees = forms.CharField(
        label="Participants",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Nom, fonction et structure de chaque participant, un par ligne. {NO_NAME}",
    )
    minutes = forms.CharField(
        label="Compte rendu",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Une fois la réunion tenue. Ne nommez aucune personne accompagnée : parlez de situations.",
    )


class ActionChoice(forms.ChoiceField):
    """An action of one of the territory's plans, grouped by plan (the plan in force first)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions: dict[str, Action] = {}

    def set_territory(self, territory, on=None) -> None:
        groups = []
        for plan, actions in queries.action_choices(territory, on):
            self.actions.update({str(a.pk): a for a in actions})
            groups.append((f"{plan.title} (version {plan.version})", [(str(a.pk), str(a)) for a in actions]))
        self.choices = [("", "Aucune action en particulier"), *groups]

    def clean(self, value):
        value = super().clean(value)
        return self.actions.get(value) if value else None


class DecisionForm(DsfrForm):
    text = forms.CharField(label="Décision", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    action = ActionChoice(label="Action du plan concernée", required=False)
    owner_organisation = OrganisationChoice(
        label="Structure responsable", queryset=Organisation.objects.none(), required=False
    )
    owner = forms.CharField(
        label="Personne responsable",
        max_length=200,
        required=False,
        help_text=f"Nom et fonction du professionnel ou de l'élu qui porte la décision. {NO_NAME}",
    )
    due_on = forms.DateField(label="Échéance", widget=DATE, required=False)

    def __init__(self, *args, territory, on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_organisation"].queryset = queries.owner_choices(territory)
        self.fields["owner_organisation"].empty_label = "Aucune structure"
        self.fields["action"].set_territory(territory, on)


class DecisionEditForm(DecisionForm):
    status = forms.ChoiceField(label="Statut", choices=Decision.Status.choices)
    done_on = forms.DateField(
        label="Réalisée le",
        widget=DATE,
        required=False,
        help_text="Pour une décision réalisée : aujourd'hui si vous laissez vide.",
    )
    note = forms.CharField(
        label="Note de suivi",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ajoutée, datée, à l'historique du suivi. Obligatoire pour abandonner une décision.",
    )


class DecisionFilterForm(DsfrForm):
    comite = forms.ModelChoiceField(label="Comité", queryset=Committee.objects.none(), required=False)
    structure = OrganisationChoice(
        label="Structure responsable", queryset=Organisation.objects.none(), required=False
    )
    statut = forms.ChoiceField(label="Statut", choices=queries.STATUS_FILTERS, required=False)

    def __init__(self, data, *, territory):
        # No status in the query string (first visit) means the decisions still to do.
        data = data.copy()
        if "statut" not in data:
            data["statut"] = Decision.Status.OPEN
        super().__init__(data)
        self.fields["comite"].queryset = Committee.objects.filter(territory=territory).order_by(
            queries.KIND_ORDER, "name"
        )
        self.fields["comite"].empty_label = "Tous les comités"
        self.fields["structure"].queryset = queries.owner_organisations(territory)
        self.fields["structure"].empty_label = "Toutes les structures"

    def filters(self) -> dict:
        """The keyword arguments of ``queries.decisions_to_follow``; a filter that does not parse gives the open decisions."""
        if not self.is_valid():
            return {"status": Decision.Status.OPEN}
        data = self.cleaned_data
        return {
            "committee": data.get("comite"),
            "owner_organisation": data.get("structure"),
            "status": data.get("statut") or None,
        }
