"""Valorisation des CV: anonymised talent profiles, employers' job offers, contact requests.

A profile is written by the referent with the person, who consents; it never holds the surname,
the address, the QPV or any identifier, and it is placed at its commune's centre. Employers read
profiles and send contact requests; the referent answers with the person's agreement, so an
employer never receives a person's contact details from the platform.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# No 0/O/1/I: a reference read over the phone must not be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def profile_reference() -> str:
    return new_reference("CV")


def offer_reference() -> str:
    return new_reference("OF")


class Contract(models.TextChoices):
    CDI = "cdi", "CDI"
    CDD = "cdd", "CDD"
    INTERIM = "interim", "Intérim"
    APPRENTICESHIP = "alternance", "Alternance (apprentissage, professionnalisation)"
    IAE = "iae", "Insertion par l'activité économique"
    SEASONAL = "saisonnier", "Saisonnier"


class WorkingTime(models.TextChoices):
    FULL = "temps-plein", "Temps plein"
    PART = "temps-partiel", "Temps partiel"
    ANY = "indifferent", "Temps plein ou partiel"


class TalentProfile(models.Model):
    class Status(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        PUBLISHED = "publie", "Publié"
        SUSPENDED = "suspendu", "Suspendu"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    follow_up = models.OneToOneField(
        "followup.FollowUp", on_delete=models.CASCADE, related_name="talent_profile"
    )
    reference = models.CharField("référence", max_length=9, unique=True, default=profile_reference)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.DRAFT)
    initial = models.CharField("initiale du prénom", max_length=1)
    headline = models.CharField("titre du profil", max_length=200)
    skills = models.JSONField("compétences", default=list, blank=True)
    experience_summary = models.TextField("expérience", blank=True)
    languages = models.JSONField("langues", default=list, blank=True)
    driving_licence = models.BooleanField("permis B", default=False)
    vehicle = models.BooleanField("véhicule", default=False)
    mobility_km = models.PositiveSmallIntegerField("mobilité (km)", default=10)
    available_from = models.DateField("disponible à partir du", null=True, blank=True)
    working_time = models.CharField(
        "temps de travail", max_length=14, choices=WorkingTime, default=WorkingTime.ANY
    )
    contracts = models.JSONField("contrats recherchés", default=list, blank=True)
    commune = models.ForeignKey("territory.Commune", on_delete=models.PROTECT, related_name="+")
    # The commune's centre (territory.centres), never the person's address.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    consent_given_on = models.DateField("consentement recueilli le")
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    consent_withdrawn_on = models.DateField("consentement retiré le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    published_at = models.DateTimeField("publié le", null=True, blank=True)

    class Meta:
        verbose_name = "profil de talent"
        verbose_name_plural = "profils de talents"
        # Search and matching read only the profiles employers may see (status, consent): every
        # index holds that filter and what its query needs, so counts, pages and scores are read
        # from the index alone (ADR 0009). The consent comes after the order of a page: PostgreSQL
        # does not take ``IS NULL`` as an equality that lets an index give its order. SQLite also
        # gets ``talent_visible_words`` (migration 0002), an index PostgreSQL cannot hold for long
        # texts.
        indexes = [
            models.Index(
                fields=["territory", "status", "published_at", "id", "consent_withdrawn_on"],
                name="talent_visible_recent",
            ),
            models.Index(
                fields=[
                    "territory",
                    "status",
                    "latitude",
                    "longitude",
                    "published_at",
                    "id",
                    "consent_withdrawn_on",
                ],
                name="talent_visible_place",
            ),
            models.Index(
                fields=[
                    "territory",
                    "status",
                    "consent_withdrawn_on",
                    "available_from",
                    "working_time",
                    "contracts",
                ],
                name="talent_visible_filters",
            ),
            models.Index(
                fields=[
                    "id",
                    "territory",
                    "status",
                    "consent_withdrawn_on",
                    "latitude",
                    "longitude",
                    "mobility_km",
                    "available_from",
                    "contracts",
                ],
                name="talent_match",
            ),
        ]

    def __str__(self):
        return f"Profil {self.reference}"

    @property
    def is_visible_to_employers(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.consent_withdrawn_on is None


class ProfileJob(models.Model):
    """A target job of a profile; the ROME code and domain are copied so matching reads one index."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="jobs")
    appellation = models.ForeignKey("territory.RomeAppellation", on_delete=models.PROTECT, related_name="+")
    rome_code = models.CharField("code ROME", max_length=5)
    domain = models.CharField("domaine professionnel", max_length=3)

    class Meta:
        verbose_name = "métier visé"
        constraints = [models.UniqueConstraint(fields=["profile", "appellation"], name="profile_job_once")]
        indexes = [
            models.Index(fields=["appellation", "profile"], name="profile_job_appellation"),
            models.Index(fields=["rome_code", "profile"], name="profile_job_rome"),
            # The candidates of an offer's domain with what their job scores on (matching.py).
            models.Index(fields=["domain", "profile", "appellation", "rome_code"], name="profile_job_match"),
        ]

    def __str__(self):
        return f"{self.appellation_id} ({self.rome_code})"


class JobOffer(models.Model):
    class Status(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        OPEN = "ouverte", "Ouverte"
        FILLED = "pourvue", "Pourvue"
        CLOSED = "fermee", "Fermée"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.CASCADE, related_name="job_offers"
    )
    reference = models.CharField("référence", max_length=9, unique=True, default=offer_reference)
    title = models.CharField("intitulé", max_length=200)
    appellation = models.ForeignKey(
        "territory.RomeAppellation", on_delete=models.PROTECT, related_name="+", verbose_name="métier (ROME)"
    )
    rome_code = models.CharField("code ROME", max_length=5)
    contract = models.CharField("contrat", max_length=12, choices=Contract)
    hours_per_week = models.PositiveSmallIntegerField("heures par semaine", null=True, blank=True)
    posts = models.PositiveSmallIntegerField("nombre de postes", default=1)
    description = models.TextField("description", blank=True)
    skills = models.JSONField("compétences attendues", default=list, blank=True)
    commune = models.ForeignKey(
        "territory.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    starts_on = models.DateField("prise de poste", null=True, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "offre d'emploi"
        verbose_name_plural = "offres d'emploi"
        indexes = [
            models.Index(fields=["territory", "status", "rome_code"], name="offer_open_rome"),
            models.Index(fields=["organisation", "status"], name="offer_organisation"),
        ]

    def __str__(self):
        return f"{self.title} ({self.reference})"


class ContactRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "en-attente", "En attente de réponse"
        ACCEPTED = "acceptee", "Acceptée"
        DECLINED = "declinee", "Déclinée"
        WITHDRAWN = "retiree", "Retirée par l'employeur"

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="contact_requests")
    offer = models.ForeignKey(
        JobOffer, on_delete=models.SET_NULL, null=True, blank=True, related_name="contact_requests"
    )
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField("message de l'employeur")
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField("envoyée le", default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    # What the referent tells the employer (a meeting proposed through them), never the person's details.
    answer = models.TextField("réponse du référent", blank=True)
    person_agreed_on = models.DateField("accord de la personne le", null=True, blank=True)

    class Meta:
        verbose_name = "demande de mise en relation"
        verbose_name_plural = "demandes de mise en relation"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="contact_employer")]

    def __str__(self):
        return f"Demande de mise en relation n° {self.pk} ({self.profile.reference})"
