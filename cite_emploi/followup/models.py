"""The shared follow-up of a job seeker by professionals of several organisations.

Personal data lives here. Who may read it is decided in ``access.py`` (members of the follow-up,
and before consent only the creating organisation); every read and write is audited.
"""

import unicodedata
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone


class AgeGroup(models.TextChoices):
    YOUNG = "jeunes", "Jeunes (moins de 26 ans)"
    ADULT = "adultes", "Adultes (26 à 49 ans)"
    SENIOR = "seniors", "Seniors (50 ans et plus)"


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def age_group(birth_date: date | None, on: date | None = None) -> str | None:
    """jeunes < 26, adultes 26–49, seniors ≥ 50 (the Cité de l'emploi's three publics)."""
    if birth_date is None:
        return None
    age = age_on(birth_date, on or timezone.localdate())
    if age < 26:
        return AgeGroup.YOUNG
    if age < 50:
        return AgeGroup.ADULT
    return AgeGroup.SENIOR


def fold_name(text: str) -> str:
    """Lower case, no accents, letters and digits only, single spaces: « Éloïse  N'Diaye-Ba » → « eloise n diaye ba ».

    Used for the accent-insensitive name search (``Beneficiary.search_name``) and duplicate detection.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("æ", "ae").replace("œ", "oe").replace("ø", "o").replace("ł", "l").replace("ı", "i")
    return " ".join("".join(c if c.isalnum() else " " for c in bare).split())


def search_key(first_name: str, last_name: str) -> str:
    """What the name search looks into: the folded names, then each name without its spaces.

    « Éloïse N'Diaye » → « eloise n diaye eloise ndiaye »: « ndiaye » and « n'diaye » both find her.
    """
    words = fold_name(f"{first_name} {last_name}")
    compact = [fold_name(n).replace(" ", "") for n in (first_name, last_name)]
    extra = [c for c in compact if c and c not in words.split()]
    return " ".join([words, *extra])[:SEARCH_KEY_LENGTH]


SEARCH_KEY_LENGTH = 420


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class DiplomaLevel(models.TextChoices):
    NONE = "0", "Aucun diplôme"
    LEVEL_3 = "3", "CAP, BEP (niveau 3)"
    LEVEL_4 = "4", "Baccalauréat (niveau 4)"
    LEVEL_5 = "5", "Bac + 2 (niveau 5)"
    LEVEL_6 = "6", "Bac + 3 ou 4 (niveau 6)"
    LEVEL_7 = "7", "Bac + 5 et plus (niveau 7 ou 8)"


class LocatedBy(models.TextChoices):
    GEOCODER = "geocoder", "Adresse géocodée"
    MAP = "map", "Point sur la carte"
    MANUAL = "manual", "Quartier choisi à la main"
    NONE = "", "Non localisé"


class Beneficiary(models.Model):
    territory = models.ForeignKey(
        "territory.Territory", on_delete=models.PROTECT, related_name="beneficiaries"
    )
    # Before consent, only this organisation sees the person.
    created_by_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="created_beneficiaries"
    )
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("courriel", blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    postcode = models.CharField("code postal", max_length=5, blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
    )
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    qpv = models.ForeignKey(
        "territory.QPV",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="QPV",
    )
    in_perimeter = models.BooleanField("dans le périmètre", default=False)
    located_by = models.CharField("localisation", max_length=10, choices=LocatedBy, blank=True)
    france_travail_id = models.CharField(
        "identifiant France Travail", max_length=20, blank=True, db_index=True
    )
    diploma_level = models.CharField("niveau de diplôme", max_length=1, choices=DiplomaLevel, blank=True)
    # Optimistic locking: an edit based on an old version is refused, never silently lost.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifié par",
    )
    # ``search_key`` of the names: the same accent-insensitive LIKE on SQLite and PostgreSQL.
    search_name = models.CharField(max_length=SEARCH_KEY_LENGTH, blank=True, editable=False)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "bénéficiaire"
        ordering = ["last_name", "first_name"]
        indexes = [
            # Covers every breakdown of the diagnostic's people indicators (age, QPV, commune, sex):
            # grouping 100,000 people reads the index, not the table (bench/steering.py).
            models.Index(
                fields=["territory", "birth_date", "qpv", "commune", "sex"],
                name="followup_benef_places_cover",
            ),
            models.Index(fields=["territory", "last_name"]),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        self.search_name = search_key(self.first_name, self.last_name)
        if kwargs.get("update_fields") is not None and {"first_name", "last_name"} & set(
            kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def age_group(self) -> str | None:
        return age_group(self.birth_date)


class SituationFact(models.Model):
    """A dated fact about the person's situation (registered at France Travail, RSA, RQTH…)."""

    class Kind(models.TextChoices):
        FT_REGISTERED = "ft_inscription", "Inscription à France Travail"
        FT_CATEGORY = "ft_categorie", "Catégorie France Travail"
        UNEMPLOYED_SINCE = "chomage_depuis", "Sans emploi depuis"
        RSA = "rsa", "Bénéficiaire du RSA"
        RQTH = "rqth", "Reconnaissance de la qualité de travailleur handicapé (RQTH)"
        ASS = "ass", "Allocation de solidarité spécifique"
        CEJ = "cej", "Contrat d'engagement jeune"
        OTHER = "autre", "Autre"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField("nature", max_length=20, choices=Kind)
    value = models.CharField("valeur", max_length=100, blank=True)
    started_on = models.DateField("depuis le", null=True, blank=True)
    ended_on = models.DateField("jusqu'au", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "situation"
        ordering = ["-started_on"]

    def __str__(self):
        return f"{self.get_kind_display()} (fiche n° {self.beneficiary_id})"


class Consent(models.Model):
    class Scope(models.TextChoices):
        FOLLOW_UP = "suivi", "Partage avec les professionnels de son suivi"
        TERRITORY = "territoire", "Partage avec les partenaires de la Cité de l'emploi"

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="consents")
    given_on = models.DateField("recueilli le")
    scope = models.CharField("portée", max_length=12, choices=Scope, default=Scope.FOLLOW_UP)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    document = models.FileField("formulaire signé (scan)", upload_to="consentements/%Y/", blank=True)
    withdrawn_on = models.DateField("retiré le", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "consentement"
        ordering = ["-given_on"]

    def __str__(self):
        return f"Consentement du {self.given_on:%d/%m/%Y} (fiche n° {self.beneficiary_id})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class FollowUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "En cours"
        CLOSED = "closed", "Clos"

    beneficiary = models.OneToOneField(Beneficiary, on_delete=models.CASCADE, related_name="follow_up")
    status = models.CharField("statut", max_length=8, choices=Status, default=Status.OPEN)
    opened_on = models.DateField("entrée dans le suivi", default=timezone.localdate)
    closed_on = models.DateField("sortie du suivi", null=True, blank=True)
    closing_reason = models.CharField("motif de sortie", max_length=200, blank=True)
    last_activity_at = models.DateTimeField("dernière activité", default=timezone.now, db_index=True)
    # The referent is asked once for the person's situation 6 and 12 months after ``opened_on``.
    situation_asked_6_at = models.DateTimeField("situation à 6 mois demandée le", null=True, blank=True)
    situation_asked_12_at = models.DateTimeField("situation à 12 mois demandée le", null=True, blank=True)

    class Meta:
        verbose_name = "suivi"
        # « Suivis ouverts pendant la période » reads its dates from the index, not the table.
        indexes = [
            models.Index(
                fields=["beneficiary", "opened_on", "closed_on"], name="followup_followup_dates_cover"
            )
        ]

    def __str__(self):
        return f"Suivi n° {self.pk} (fiche n° {self.beneficiary_id})"


class FollowUpMember(models.Model):
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="follow_up_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_up_members"
    )
    is_referent = models.BooleanField("référent de parcours", default=False)
    started_on = models.DateField("depuis le", default=timezone.localdate)
    ended_on = models.DateField("jusqu'au", null=True, blank=True)
    reason = models.CharField("motif", max_length=200, blank=True)
    end_reason = models.CharField("motif de fin", max_length=200, blank=True)

    class Meta:
        verbose_name = "membre du suivi"
        verbose_name_plural = "membres du suivi"
        constraints = [
            # At most one referent at a time; services keep « exactly one while any member is active ».
            models.UniqueConstraint(
                fields=["follow_up"],
                condition=models.Q(is_referent=True, ended_on__isnull=True),
                name="one_active_referent",
            ),
            models.UniqueConstraint(
                fields=["follow_up", "user"],
                condition=models.Q(ended_on__isnull=True),
                name="one_active_membership",
            ),
        ]
        indexes = [
            # Covers « the follow-ups of this user » (every list and access check) without a table read.
            models.Index(fields=["user", "ended_on", "follow_up"], name="followup_member_user_cover"),
            models.Index(fields=["organisation", "ended_on"]),
        ]

    def __str__(self):
        return f"Membre n° {self.pk} du suivi n° {self.follow_up_id}"


class Barrier(models.Model):
    """A frein périphérique, coded with the same data·inclusion thématiques as the services."""

    class Status(models.TextChoices):
        IDENTIFIED = "identified", "Identifié"
        IN_PROGRESS = "in_progress", "En cours de levée"
        LIFTED = "lifted", "Levé"
        NOT_LIFTED = "not_lifted", "Non levé"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="barriers")
    thematique = models.CharField("thématique", max_length=120)
    category = models.CharField("catégorie", max_length=60, db_index=True)
    status = models.CharField("statut", max_length=12, choices=Status, default=Status.IDENTIFIED)
    identified_on = models.DateField("identifié le", default=timezone.localdate)
    status_changed_on = models.DateField("statut depuis le", default=timezone.localdate)
    notes = models.TextField("précisions", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "frein"
        constraints = [models.UniqueConstraint(fields=["follow_up", "thematique"], name="barrier_unique")]
        # The list's « catégorie de frein » filter: one probe per person, whatever the engine's planner guesses.
        indexes = [models.Index(fields=["follow_up", "category"], name="followup_barrier_category")]

    def __str__(self):
        return f"Frein {self.thematique} (suivi n° {self.follow_up_id})"


class BarrierStatusChange(models.Model):
    """A status a barrier took and the day it took it: its status at any past date, for the
    diagnostic and the quarterly reports (« freins restant à lever » at the end of a past quarter).

    Written by ``services.add_barrier`` and ``services.change_barrier_status``. Barriers recorded
    before this history existed (migration 0006) have two lines at most, what the barrier itself
    said: identified on ``identified_on``, its status of that day since ``status_changed_on``.
    """

    barrier = models.ForeignKey(Barrier, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField("statut", max_length=12, choices=Barrier.Status)
    changed_on = models.DateField("depuis le")

    class Meta:
        verbose_name = "changement de statut d'un frein"
        verbose_name_plural = "changements de statut des freins"
        # « Its last status on or before a date »: one index probe per barrier.
        indexes = [models.Index(fields=["barrier", "changed_on"], name="followup_barrier_change_on")]

    def __str__(self):
        return f"Frein n° {self.barrier_id} : {self.status} le {self.changed_on:%d/%m/%Y}"


def history_of(barrier: Barrier) -> list[BarrierStatusChange]:
    """The history a barrier without recorded changes implies (the demo's barriers, written in bulk)."""
    identified = Barrier.Status.IDENTIFIED
    changes = [BarrierStatusChange(barrier=barrier, status=identified, changed_on=barrier.identified_on)]
    if barrier.status != identified:
        changes.append(
            BarrierStatusChange(barrier=barrier, status=barrier.status, changed_on=barrier.status_changed_on)
        )
    return changes


class ProfessionalProject(models.Model):
    class Contract(models.TextChoices):
        CDI = "cdi", "CDI"
        CDD = "cdd", "CDD"
        INTERIM = "interim", "Intérim"
        APPRENTICESHIP = "alternance", "Alternance"
        PART_TIME = "temps-partiel", "Temps partiel"
        IAE = "iae", "Insertion par l'activité économique"

    follow_up = models.OneToOneField(FollowUp, on_delete=models.CASCADE, related_name="project")
    target_jobs = models.ManyToManyField(
        "territory.RomeAppellation", blank=True, verbose_name="métiers visés"
    )
    contracts = models.JSONField("contrats recherchés", default=list, blank=True)
    mobility_km = models.PositiveSmallIntegerField("mobilité (km)", null=True, blank=True)
    has_driving_licence = models.BooleanField("permis B", default=False)
    has_vehicle = models.BooleanField("véhicule", default=False)
    notes = models.TextField("précisions", blank=True)

    def __str__(self):
        return f"Projet professionnel (suivi n° {self.follow_up_id})"


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SENT = "sent", "Envoyée"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"
        EXPIRED = "expired", "Expirée"
        STARTED = "started", "Commencée"
        COMPLETED = "completed", "Terminée"
        ABANDONED = "abandoned", "Abandonnée"

    class RefusalReason(models.TextChoices):
        NOT_ELIGIBLE = "non-eligible", "La personne ne remplit pas les conditions"
        NO_CAPACITY = "complet", "Plus de place disponible"
        NOT_REACHABLE = "injoignable", "Personne injoignable"
        DECLINED = "refus-personne", "La personne a décliné"
        WRONG_SERVICE = "mauvais-service", "Service inadapté à la demande"
        OTHER = "autre", "Autre motif"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey("partners.Service", on_delete=models.PROTECT, related_name="referrals")
    barrier = models.ForeignKey(
        Barrier, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_referrals"
    )
    sender_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="sent_referrals"
    )
    receiving_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="received_referrals"
    )
    message = models.TextField("message", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.DRAFT)
    refusal_reason = models.CharField("motif de refus", max_length=20, choices=RefusalReason, blank=True)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    reminded_at = models.DateTimeField("relance le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "orientation"
        indexes = [
            models.Index(fields=["receiving_organisation", "status"]),
            models.Index(fields=["status", "sent_at"]),
        ]

    def __str__(self):
        return f"Orientation n° {self.pk} ({self.get_status_display()})"


class ReferralEvent(models.Model):
    """Every status change of a referral, dated, with its author."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=Referral.Status)
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self):
        return f"{self.get_status_display()} le {self.at:%d/%m/%Y}"


class TimelineEvent(models.Model):
    """One line of a beneficiary's timeline: notes, appointments, contacts and the events of other parts."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        APPOINTMENT = "rdv", "Rendez-vous"
        CONTACT = "contact", "Contact"
        REFERRAL = "orientation", "Orientation"
        BARRIER = "frein", "Frein"
        MEMBER = "membre", "Membre du suivi"
        CONSENT = "consentement", "Consentement"
        OUTREACH = "aller-vers", "Aller-vers"
        RECRUITMENT = "recrutement", "Opération de recrutement"
        OUTCOME = "sortie", "Sortie"
        CASE_REVIEW = "instance", "Instance de coordination"

    class Visibility(models.TextChoices):
        ORGANISATION = "organisation", "Mon organisation"
        MEMBERS = "membres", "Tous les membres du suivi"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("nature", max_length=14, choices=Kind)
    at = models.DateTimeField("date", default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    visibility = models.CharField(
        "visible par", max_length=12, choices=Visibility, default=Visibility.MEMBERS
    )
    text = models.TextField("texte", blank=True)

    class Meta:
        verbose_name = "événement du parcours"
        ordering = ["-at"]
        indexes = [models.Index(fields=["follow_up", "-at"])]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.at:%d/%m/%Y} (suivi n° {self.follow_up_id})"


class Outcome(models.Model):
    class Kind(models.TextChoices):
        LASTING_JOB = "emploi-durable", "Emploi durable (CDI, CDD de 6 mois ou plus)"
        TRANSITION_JOB = (
            "emploi-transition",
            "Emploi de transition (CDD de moins de 6 mois, intérim, contrat aidé, IAE)",
        )
        TRAINING = "formation", "Formation qualifiante"
        BUSINESS = "creation", "Création d'entreprise"
        OTHER = "autre", "Autre sortie"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField("nature", max_length=20, choices=Kind)
    contract = models.CharField("contrat", max_length=60, blank=True)
    occurred_on = models.DateField("date")
    details = models.CharField("précisions", max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "sortie"
        ordering = ["-occurred_on"]

    def __str__(self):
        return f"{self.get_kind_display()} le {self.occurred_on:%d/%m/%Y} (suivi n° {self.follow_up_id})"


class Cohort(models.Model):
    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField("nom", max_length=150)
    entry_on = models.DateField("entrée")
    exit_on = models.DateField("sortie", null=True, blank=True)
    follow_ups = models.ManyToManyField(FollowUp, blank=True, related_name="cohorts")

    class Meta:
        verbose_name = "cohorte"
        ordering = ["-entry_on"]
        constraints = [models.UniqueConstraint(fields=["territory", "name"], name="cohort_name_unique")]

    def __str__(self):
        return self.name


class CaseReview(models.Model):
    """An instance de coordination (after the PRIJ « cellule opérationnelle » of Mont-Mesly)."""

    territory = models.ForeignKey(
        "territory.Territory", on_delete=models.CASCADE, related_name="case_reviews"
    )
    title = models.CharField("intitulé", max_length=200)
    held_on = models.DateField("date")
    organisations = models.ManyToManyField("partners.Organisation", related_name="case_reviews")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "instance de coordination"
        verbose_name_plural = "instances de coordination"
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.title} ({self.held_on:%d/%m/%Y})"


class CaseReviewItem(models.Model):
    review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="items")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="review_items")
    decision = models.TextField("décision", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField("échéance", null=True, blank=True)

    class Meta:
        verbose_name = "situation examinée"
        constraints = [models.UniqueConstraint(fields=["review", "follow_up"], name="review_item_unique")]

    def __str__(self):
        return f"Situation du suivi n° {self.follow_up_id}"


class JoinRequest(models.Model):
    """A professional who found that the person they were recording is already followed asks to join.

    The requester sees nothing of the record until the referent accepts; the request names the
    person only through the follow-up, never in its own fields.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"
        CANCELLED = "cancelled", "Annulée"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="join_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_up_join_requests"
    )
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    message = models.TextField("message", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField("demandée le", default=timezone.now)
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "demande à rejoindre un suivi"
        verbose_name_plural = "demandes à rejoindre un suivi"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "requester"],
                condition=models.Q(status="pending"),
                name="one_pending_join_request",
            ),
        ]

    def __str__(self):
        return f"Demande n° {self.pk} ({self.get_status_display()})"


class BeneficiaryImport(models.Model):
    """An import of beneficiaries from a spreadsheet, as the web pages run it (``beneficiary_import``).

    The uploaded file is kept in a private directory (``import_jobs.storage_dir()``, never under
    MEDIA) from upload to the end of the import, then deleted. Only its author sees the job.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Fichier déposé"
        CHECKING = "checking", "Vérification en cours"
        CHECKED = "checked", "Vérifié"
        IMPORTING = "importing", "Import en cours"
        DONE = "done", "Terminé"
        FAILED = "failed", "Refusé"
        CANCELLED = "cancelled", "Abandonné"

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.CASCADE, related_name="beneficiary_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="beneficiary_imports"
    )
    filename = models.CharField("fichier", max_length=255)
    # Name of the stored copy inside the private directory; empty once deleted.
    stored_name = models.CharField(max_length=80, blank=True)
    file_format = models.CharField("format", max_length=4)
    headers = models.JSONField("titres des colonnes", default=list, blank=True)
    file_info = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField("lignes", null=True, blank=True)
    mapping = models.JSONField("correspondance des colonnes", default=dict, blank=True)
    geocode = models.BooleanField("géocoder les adresses", default=False)
    partial = models.BooleanField("import partiel accepté", default=False)
    status = models.CharField("état", max_length=10, choices=Status, default=Status.UPLOADED)
    # The last run's report (``ImportReport.as_dict``): the dry run's, then the import's.
    report = models.JSONField("compte rendu", default=dict, blank=True)
    run_id = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de bénéficiaires"
        verbose_name_plural = "imports de bénéficiaires"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import n° {self.pk} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)
