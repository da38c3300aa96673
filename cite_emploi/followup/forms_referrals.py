"""Forms of referrals, cohorts and case reviews: they parse input; the rules live in ``referrals`` and ``reviews``."""

from django import forms
from django.utils import timezone

from cite_emploi.core.forms import DsfrForm
from cite_emploi.partners.models import Organisation, Service

from .models import Barrier, Beneficiary, CaseReview, CaseReviewItem, Cohort, Referral

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MESSAGE_MAX = 2000
NOTE_MAX = 500


class BeneficiaryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.last_name.upper()} {obj.first_name} (fiche n° {obj.pk})"


class ServiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.organisation.name} — {obj.name}"


class BarrierChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        from cite_emploi.partners import enums

        return enums.label(obj.thematique)


class ReferralForm(DsfrForm):
    beneficiary = BeneficiaryChoice(
        label="Personne orientée", queryset=Beneficiary.objects.none(), empty_label="Choisir"
    )
    service = ServiceChoice(label="Service", queryset=Service.objects.none(), empty_label="Choisir")
    barrier = BarrierChoice(
        label="Frein que cette orientation doit aider à lever",
        queryset=Barrier.objects.none(),
        required=False,
        empty_label="Aucun en particulier",
    )
    message = forms.CharField(
        label="Message à l'organisation qui reçoit",
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "Ce qui est utile pour accueillir la personne : sa demande, ses disponibilités, comment la joindre. "
            "Le strict nécessaire : l'organisation qui reçoit lit ce message, le nom, la tranche d'âge et la commune."
        ),
    )

    def __init__(self, *args, beneficiaries, services, barriers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = beneficiaries
        self.fields["service"].queryset = services
        if barriers is None:
            del self.fields["barrier"]
        else:
            self.fields["barrier"].queryset = barriers


class PrefixedIds:
    """Several small forms share the referral page: their ids must not collide (accessibility)."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AcceptForm(PrefixedIds, DsfrForm):
    id_prefix = "accepter"
    join = forms.BooleanField(
        label="Rejoindre le suivi de la personne",
        required=False,
        help_text="Vous deviendrez membre de son suivi partagé : vous verrez sa fiche et son parcours.",
    )
    note = forms.CharField(label="Commentaire", max_length=NOTE_MAX, required=False)


class RefuseForm(PrefixedIds, DsfrForm):
    id_prefix = "refuser"
    reason = forms.ChoiceField(
        label="Motif du refus", choices=[("", "Choisir"), *Referral.RefusalReason.choices]
    )
    note = forms.CharField(
        label="Précisions",
        max_length=NOTE_MAX,
        required=False,
        help_text="Obligatoire pour « Autre motif ». Elles sont transmises au professionnel qui a orienté.",
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == Referral.RefusalReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", "Précisez le motif du refus.")
        return data


class StepForm(PrefixedIds, DsfrForm):
    id_prefix = "etape"
    note = forms.CharField(label="Commentaire", max_length=NOTE_MAX, required=False)


class PeriodForm(DsfrForm):
    du = forms.DateField(label="Envoyées du", required=False, widget=DATE)
    au = forms.DateField(label="au", required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError("La date de début doit précéder la date de fin.")
        return data

    def period(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if not data.get("du") and not data.get("au"):
            return None
        return (data.get("du"), data.get("au"))


# --- cohorts ------------------------------------------------------------------------------------


class CohortForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "entry_on", "exit_on"]
        widgets = {"entry_on": DATE, "exit_on": DATE}
        help_texts = {
            "name": "Par exemple « Jeunes du Mont-Mesly — printemps 2025 ».",
            "exit_on": "Laissez vide tant que la date de sortie n'est pas fixée.",
        }


class AddBeneficiaryForm(DsfrForm):
    """Choose one of the people the user follows (cohorts and agendas of case reviews)."""

    beneficiary = BeneficiaryChoice(
        label="Personne", queryset=Beneficiary.objects.none(), empty_label="Choisir"
    )

    def __init__(self, *args, beneficiaries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = beneficiaries


# --- case reviews -------------------------------------------------------------------------------


class OrganisationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class CaseReviewForm(DsfrForm, forms.ModelForm):
    organisations = OrganisationChoices(
        label="Organisations participantes", queryset=Organisation.objects.none()
    )

    class Meta:
        model = CaseReview
        fields = ["title", "held_on", "organisations"]
        widgets = {"held_on": DATE}
        help_texts = {"title": "Par exemple « Cellule opérationnelle jeunes — Mont-Mesly »."}

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = Organisation.objects.in_territory(territory).order_by("name")
        if not self.instance.pk:
            self.fields["held_on"].initial = timezone.localdate


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.get_full_name() or obj.user.email} ({obj.organisation.name})"


class ReviewItemForm(DsfrForm):
    decision = forms.CharField(
        label="Décision", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    owner = OwnerChoice(
        label="Qui la met en œuvre",
        queryset=None,
        required=False,
        empty_label="Personne pour l'instant",
        help_text="Un membre du suivi de la personne.",
    )
    due_on = forms.DateField(label="Échéance", required=False, widget=DATE)

    def __init__(self, *args, members, item: CaseReviewItem | None = None, **kwargs):
        if item is not None:
            kwargs.setdefault(
                "initial",
                {
                    "decision": item.decision,
                    "owner": next((m for m in members if m.user_id == item.owner_id), None),
                    "due_on": item.due_on,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members
