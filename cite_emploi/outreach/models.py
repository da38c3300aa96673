"""Aller-vers and recruitment operations: what was done in the quartiers and what it produced.

Outreach actions count the people reached anonymously (by age group and sex); the people whose
follow-up started from an action are linked to it (``ActionOrigin``), so « repérés → accompagnés »
is computed from records. Recruitment events gather employers, their job offers (``talent.JobOffer``)
and candidates invited by their referents; every hire is an outcome of the person's follow-up.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cite_emploi.followup.models import AgeGroup, Sex


class OutreachKind(models.TextChoices):
    PERMANENCE = "permanence", "Permanence dans un quartier"
    DOOR_TO_DOOR = "porte-a-porte", "Porte-à-porte"
    MARKET_STAND = "stand-marche", "Stand sur un marché"
    ASSOCIATION_EVENT = "evenement-association", "Événement avec une association"
    MOBILE_BUS = "bus-mobile", "Bus itinérant de l'emploi"
    SPORT_CULTURE = "sport-culture", "Événement sportif ou culturel"
    OTHER = "autre", "Autre action d'aller-vers"


class Place(models.Model):
    """Where an action or an event takes place: a QPV, a commune, a label, a point on the map."""

    qpv = models.ForeignKey(
        "territory.QPV",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="quartier",
    )
    commune = models.ForeignKey(
        "territory.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place_label = models.CharField("lieu", max_length=200, blank=True)
    latitude = models.FloatField("latitude", null=True, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)

    class Meta:
        abstract = True


class OutreachSeries(Place):
    """A recurring action (a weekly permanence): each occurrence is an ``OutreachAction``."""

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("nature", max_length=24, choices=OutreachKind, default=OutreachKind.PERMANENCE)
    title = models.CharField("intitulé", max_length=200)
    weekday = models.PositiveSmallIntegerField(
        "jour",
        choices=[
            (0, "lundi"),
            (1, "mardi"),
            (2, "mercredi"),
            (3, "jeudi"),
            (4, "vendredi"),
            (5, "samedi"),
            (6, "dimanche"),
        ],
    )
    start_time = models.TimeField("heure de début")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=180)
    every_weeks = models.PositiveSmallIntegerField("toutes les … semaines", default=1)
    starts_on = models.DateField("première date")
    ends_on = models.DateField("dernière date")
    organisations = models.ManyToManyField(
        "partners.Organisation", related_name="+", verbose_name="structures"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "série d'actions (permanence régulière)"
        verbose_name_plural = "séries d'actions"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="series_dates"
            ),
            models.CheckConstraint(condition=models.Q(every_weeks__gte=1), name="series_every_weeks"),
        ]

    def __str__(self):
        return self.title


class OutreachAction(Place):
    class Status(models.TextChoices):
        PLANNED = "prevue", "Prévue"
        DONE = "realisee", "Réalisée"
        CANCELLED = "annulee", "Annulée"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    series = models.ForeignKey(
        OutreachSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="occurrences"
    )
    kind = models.CharField("nature", max_length=24, choices=OutreachKind)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    starts_at = models.DateTimeField("début")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=120)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PLANNED)
    organisations = models.ManyToManyField(
        "partners.Organisation", related_name="+", verbose_name="structures présentes"
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="professionnels présents"
    )
    contacts_left = models.PositiveIntegerField("personnes ayant laissé leurs coordonnées", default=0)
    notes = models.TextField("bilan", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "action d'aller-vers"
        verbose_name_plural = "actions d'aller-vers"
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["territory", "starts_at"], name="outreach_when"),
            models.Index(fields=["qpv", "starts_at"], name="outreach_qpv_when"),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%d/%m/%Y})"


class ReachedCount(models.Model):
    """People reached by an action, counted without names: one row per age group × sex."""

    action = models.ForeignKey(OutreachAction, on_delete=models.CASCADE, related_name="reached")
    age_group = models.CharField("tranche d'âge", max_length=8, choices=AgeGroup, blank=True)
    sex = models.CharField("sexe", max_length=1, choices=Sex, blank=True)
    count = models.PositiveIntegerField("personnes")

    class Meta:
        verbose_name = "personnes rencontrées"
        constraints = [
            models.UniqueConstraint(fields=["action", "age_group", "sex"], name="reached_once_per_group")
        ]

    def __str__(self):
        return f"{self.count} ({self.age_group or 'âge ?'}, {self.sex or 'sexe ?'})"


class ActionOrigin(models.Model):
    """The follow-up that started from an outreach action: « repérés → accompagnés »."""

    action = models.ForeignKey(OutreachAction, on_delete=models.CASCADE, related_name="origins")
    follow_up = models.OneToOneField(
        "followup.FollowUp", on_delete=models.CASCADE, related_name="outreach_origin"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "entrée en suivi depuis une action"

    def __str__(self):
        return f"Suivi n° {self.follow_up_id} depuis l'action n° {self.action_id}"


class RecruitmentKind(models.TextChoices):
    JOB_DATING = "job-dating", "Job dating"
    FORUM = "forum", "Forum de l'emploi"
    SIMULATION = "mrs", "Recrutement par simulation (MRS)"
    COMPANY_VISIT = "visite-entreprise", "Visite d'entreprise"
    COLLECTIVE_IMMERSION = "immersion-collective", "Immersion collective"
    NO_CV = "sans-cv", "Recrutement sans CV"
    OTHER = "autre", "Autre opération de recrutement"


class RecruitmentEvent(Place):
    class Status(models.TextChoices):
        PLANNED = "prevue", "Prévue"
        DONE = "realisee", "Réalisée"
        CANCELLED = "annulee", "Annulée"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("nature", max_length=24, choices=RecruitmentKind)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin", null=True, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PLANNED)
    organisers = models.ManyToManyField(
        "partners.Organisation", related_name="+", verbose_name="organisateurs"
    )
    registration_open = models.BooleanField("inscriptions des employeurs ouvertes", default=True)
    registration_deadline = models.DateField("date limite d'inscription", null=True, blank=True)
    offers = models.ManyToManyField(
        "talent.JobOffer", through="EventOffer", related_name="events", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "opération de recrutement"
        verbose_name_plural = "opérations de recrutement"
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["territory", "starts_at"], name="event_when")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gte=models.F("starts_at")),
                name="event_dates",
            )
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%d/%m/%Y})"


class EventEmployer(models.Model):
    """An employer taking part: registered by its account, or by the public form and then confirmed."""

    class Status(models.TextChoices):
        PENDING = "en-attente", "Inscription à valider"
        CONFIRMED = "confirmee", "Participation confirmée"
        DECLINED = "refusee", "Inscription refusée"

    event = models.ForeignKey(RecruitmentEvent, on_delete=models.CASCADE, related_name="employers")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    company_name = models.CharField("raison sociale", max_length=200)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    contact_name = models.CharField("nom du contact", max_length=200)
    contact_email = models.EmailField("courriel du contact")
    contact_phone = models.CharField("téléphone du contact", max_length=20, blank=True)
    # Offers described on the public form, as the employer typed them, until the registration is confirmed.
    proposed_offers = models.JSONField("offres proposées", default=list, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PENDING)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "employeur participant"
        verbose_name_plural = "employeurs participants"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="event_employer_once",
            )
        ]

    def __str__(self):
        return self.company_name


class EventOffer(models.Model):
    event = models.ForeignKey(RecruitmentEvent, on_delete=models.CASCADE, related_name="event_offers")
    offer = models.ForeignKey("talent.JobOffer", on_delete=models.CASCADE, related_name="event_offers")
    employer = models.ForeignKey(EventEmployer, on_delete=models.CASCADE, related_name="event_offers")

    class Meta:
        verbose_name = "offre présentée"
        constraints = [models.UniqueConstraint(fields=["event", "offer"], name="event_offer_once")]

    def __str__(self):
        return f"Offre n° {self.offer_id} à l'opération n° {self.event_id}"


class EventCandidate(models.Model):
    """A person invited by a member of their follow-up; employers see them only as « candidat n° … »."""

    class Status(models.TextChoices):
        INVITED = "invite", "Invité"
        CONFIRMED = "confirme", "Présence confirmée"
        PRESENT = "present", "Présent"
        ABSENT = "absent", "Absent"
        EXCUSED = "excuse", "Excusé"

    event = models.ForeignKey(RecruitmentEvent, on_delete=models.CASCADE, related_name="candidates")
    follow_up = models.ForeignKey(
        "followup.FollowUp", on_delete=models.CASCADE, related_name="event_candidacies"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    prepared = models.BooleanField("préparation réalisée", default=False)
    preparation = models.TextField("préparation (atelier CV, simulation d'entretien…)", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.INVITED)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "candidat"
        constraints = [models.UniqueConstraint(fields=["event", "follow_up"], name="candidate_once")]

    def __str__(self):
        return f"Candidat n° {self.pk} (opération n° {self.event_id})"


class Interview(models.Model):
    class Result(models.TextChoices):
        PENDING = "en-attente", "Réponse attendue"
        HIRED = "recrute", "Recruté"
        NOT_SELECTED = "non-retenu", "Non retenu"

    candidate = models.ForeignKey(EventCandidate, on_delete=models.CASCADE, related_name="interviews")
    employer = models.ForeignKey(EventEmployer, on_delete=models.CASCADE, related_name="interviews")
    offer = models.ForeignKey(
        "talent.JobOffer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField("résultat", max_length=10, choices=Result, default=Result.PENDING)
    contract = models.CharField("contrat", max_length=60, blank=True)
    hired_on = models.DateField("date d'embauche", null=True, blank=True)
    # The hire as an outcome of the person's follow-up (followup.services.record_outcome).
    outcome = models.OneToOneField(
        "followup.Outcome", on_delete=models.SET_NULL, null=True, blank=True, related_name="interview"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "entretien"
        constraints = [models.UniqueConstraint(fields=["candidate", "employer"], name="interview_once")]

    def __str__(self):
        return f"Entretien n° {self.pk}"
