"""Steering of a Cité de l'emploi: the action plan, its money, its targets and its committees.

Nothing here is personal data: actions, amounts, committees and decisions concern organisations
and professionals. Figures about people come from the diagnostic's indicator registry
(``diagnostic.indicators``), never from a count made here.
"""

from django.conf import settings
from django.db import models


class Axis(models.TextChoices):
    """The seed's four axes, the national programme's three, and « autre »."""

    RECRUITMENT = "recrutement-innovant", "Opérations de recrutement innovantes"
    PRESENCE = "presence-spe", "Présence du service public de l'emploi dans les quartiers"
    CV = "valorisation-cv", "Valorisation des CV"
    BARRIERS = "levee-freins", "Levée des freins périphériques"
    FEDERATE = "federer", "Fédérer les acteurs (programme national)"
    OUTREACH = "aller-vers", "Aller-vers (programme national)"
    INNOVATE = "innover-recrutement", "Innover dans le recrutement (programme national)"
    OTHER = "autre", "Autre"


class Public(models.TextChoices):
    YOUNG = "jeunes", "Jeunes (moins de 26 ans)"
    ADULT = "adultes", "Adultes (26 à 49 ans)"
    SENIOR = "seniors", "Seniors (50 ans et plus)"


class ActionPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "projet", "En projet"
        ADOPTED = "adopte", "Adopté"
        CLOSED = "clos", "Clos"

    territory = models.ForeignKey(
        "territory.Territory", on_delete=models.CASCADE, related_name="action_plans"
    )
    title = models.CharField("intitulé", max_length=200)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    version = models.PositiveSmallIntegerField("version", default=1)
    status = models.CharField("statut", max_length=8, choices=Status, default=Status.DRAFT)
    adopted_on = models.DateField("adopté le", null=True, blank=True)
    # The diagnostic the plan answers (its « premiers contours »).
    diagnostic = models.ForeignKey(
        "diagnostic.ReportVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_plans",
        verbose_name="diagnostic de référence",
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "plan d'actions"
        verbose_name_plural = "plans d'actions"
        ordering = ["territory", "-starts_on", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "starts_on", "version"], name="plan_version_unique"),
            models.CheckConstraint(condition=models.Q(starts_on__lte=models.F("ends_on")), name="plan_dates"),
        ]

    def __str__(self):
        return f"{self.title} (version {self.version})"


class Action(models.Model):
    class Status(models.TextChoices):
        PLANNED = "prevue", "Prévue"
        RUNNING = "en-cours", "En cours"
        DONE = "terminee", "Terminée"
        SUSPENDED = "suspendue", "Suspendue"
        ABANDONED = "abandonnee", "Abandonnée"

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("intitulé", max_length=200)
    axis = models.CharField("axe", max_length=24, choices=Axis)
    description = models.TextField("description", blank=True)
    lead_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_actions",
        verbose_name="structure pilote",
    )
    partners = models.ManyToManyField(
        "partners.Organisation", blank=True, related_name="partner_actions", verbose_name="partenaires"
    )
    qpvs = models.ManyToManyField(
        "territory.QPV", blank=True, related_name="+", verbose_name="quartiers ciblés"
    )
    publics = models.JSONField("publics ciblés", default=list, blank=True)  # values of Public
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PLANNED)
    # The diagnostic gap the action answers: a QPV code and a data·inclusion category (gaps.py).
    gap_qpv = models.CharField("besoin : quartier", max_length=10, blank=True)
    gap_category = models.CharField("besoin : catégorie", max_length=60, blank=True)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "action"
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="action_number_unique"),
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")), name="action_dates"
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"

    @property
    def code(self) -> str:
        return f"A{self.number}"


class Milestone(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("étape", max_length=200)
    due_on = models.DateField("échéance")
    done_on = models.DateField("réalisée le", null=True, blank=True)

    class Meta:
        verbose_name = "étape"
        ordering = ["action", "due_on", "pk"]

    def __str__(self):
        return self.title


class Funding(models.Model):
    """A source of money: the Cité de l'emploi subsidy, a commune's, the State's or another co-funding."""

    class Kind(models.TextChoices):
        CITE_SUBSIDY = "subvention-cite", "Subvention Cité de l'emploi (État / ANCT)"
        STATE = "etat", "État (autre crédit)"
        COMMUNE = "commune", "Commune"
        TERRITORY = "territoire", "Territoire (EPT, EPCI)"
        DEPARTMENT = "departement", "Département"
        REGION = "region", "Région"
        EUROPE = "europe", "Fonds européens"
        OTHER = "autre", "Autre financeur"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="fundings")
    title = models.CharField("intitulé", max_length=200)
    kind = models.CharField("nature", max_length=16, choices=Kind)
    funder = models.CharField("financeur", max_length=200)
    funder_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField("référence (convention, arrêté)", max_length=120, blank=True)
    notes = models.TextField("remarques", blank=True)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)

    class Meta:
        verbose_name = "financement"
        ordering = ["territory", "kind", "title"]

    def __str__(self):
        return self.title


class FundingYear(models.Model):
    """The amount a funding brings for one year (the Cité subsidy: 100 000 € a year for two years)."""

    funding = models.ForeignKey(Funding, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("année")
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "annuité"
        ordering = ["funding", "year"]
        constraints = [
            models.UniqueConstraint(fields=["funding", "year"], name="funding_year_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="funding_year_positive"),
        ]

    def __str__(self):
        return f"{self.funding} — {self.year} : {self.amount} €"


class BudgetLine(models.Model):
    """What an action plans to spend of a funding in a year."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="budget_lines")
    funding = models.ForeignKey(Funding, on_delete=models.PROTECT, related_name="budget_lines")
    year = models.PositiveSmallIntegerField("année")
    amount = models.DecimalField("montant prévu (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne budgétaire"
        verbose_name_plural = "lignes budgétaires"
        ordering = ["action", "year", "funding"]
        constraints = [
            models.UniqueConstraint(fields=["action", "funding", "year"], name="budget_line_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_line_positive"),
        ]

    def __str__(self):
        return f"{self.action.code} — {self.funding} — {self.year} : {self.amount} €"


class Expense(models.Model):
    """Money spent by an action on a funding, with its supporting document."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="expenses")
    funding = models.ForeignKey(Funding, on_delete=models.PROTECT, related_name="expenses")
    spent_on = models.DateField("date")
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    label = models.CharField("objet", max_length=200)
    supplier = models.CharField("fournisseur ou bénéficiaire du paiement", max_length=200, blank=True)
    document = models.FileField("pièce justificative", upload_to="pilotage/justificatifs/%Y/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "dépense"
        ordering = ["action", "spent_on", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="expense_positive")]

    def __str__(self):
        return f"{self.label} ({self.amount} €)"


class IndicatorTarget(models.Model):
    """A target of an action, bound to an indicator of the diagnostic's registry, or counted by hand."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="targets")
    label = models.CharField("intitulé", max_length=200)
    # A registry code (diagnostic.indicators); empty for a manual indicator.
    indicator = models.CharField("indicateur", max_length=60, blank=True)
    where_level = models.CharField("restreint à", max_length=8, blank=True)  # "", "commune" or "qpv"
    where_code = models.CharField("code du lieu", max_length=10, blank=True)
    unit = models.CharField("unité", max_length=30, blank=True)
    target = models.DecimalField("cible", max_digits=12, decimal_places=2)
    starts_on = models.DateField("du")
    ends_on = models.DateField("au")

    class Meta:
        verbose_name = "objectif"
        ordering = ["action", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")), name="target_dates"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_manual(self) -> bool:
        return not self.indicator


class ManualReading(models.Model):
    """The value of a manual target, as reported at a date (the latest one counts)."""

    target = models.ForeignKey(IndicatorTarget, on_delete=models.CASCADE, related_name="readings")
    measured_on = models.DateField("à la date du")
    value = models.DecimalField("valeur", max_digits=12, decimal_places=2)
    note = models.CharField("précision", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "relevé"
        ordering = ["target", "-measured_on", "-pk"]

    def __str__(self):
        return f"{self.target} : {self.value} au {self.measured_on:%d/%m/%Y}"


class Committee(models.Model):
    class Kind(models.TextChoices):
        COPIL = "copil", "Comité de pilotage (COPIL)"
        COTECH = "cotech", "Comité technique (COTECH)"
        OTHER = "autre", "Autre instance"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="committees")
    kind = models.CharField("nature", max_length=8, choices=Kind)
    name = models.CharField("nom", max_length=200)
    chairs = models.CharField("présidence", max_length=300, blank=True)
    members = models.ManyToManyField("partners.Organisation", blank=True, related_name="committees")
    description = models.TextField("rôle", blank=True)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)

    class Meta:
        verbose_name = "comité"
        ordering = ["territory", "kind", "name"]

    def __str__(self):
        return self.name


class Meeting(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("date")
    place = models.CharField("lieu", max_length=200, blank=True)
    attendees = models.TextField("participants", blank=True)  # names and roles of the professionals present
    agenda = models.TextField("ordre du jour", blank=True)
    minutes = models.TextField("compte rendu", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "réunion"
        ordering = ["committee", "-held_on"]

    def __str__(self):
        return f"{self.committee} du {self.held_on:%d/%m/%Y}"


class Decision(models.Model):
    class Status(models.TextChoices):
        OPEN = "a-faire", "À faire"
        DONE = "faite", "Réalisée"
        CANCELLED = "abandonnee", "Abandonnée"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField("décision")
    action = models.ForeignKey(
        Action,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name="action",
    )
    owner_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.CharField("responsable", max_length=200, blank=True)
    due_on = models.DateField("échéance", null=True, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.OPEN)
    follow_up = models.TextField("suivi", blank=True)
    done_on = models.DateField("réalisée le", null=True, blank=True)

    class Meta:
        verbose_name = "décision"
        ordering = ["meeting", "pk"]

    def __str__(self):
        return self.text[:80]
