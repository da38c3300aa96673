"""Accounts: a user logs in by e-mail and acts through memberships (user × organisation × role).

The organisation is ``partners.Organisation``; it is named by a lazy reference so that this app
imports nothing to its right (see docs/adr/0002-organisation-and-membership.md).
"""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordination de la Cité"
    COUNSELLOR = "counsellor", "Professionnel de l'accompagnement"
    ELECTED = "elected", "Élu ou service communal"
    FUNDER = "funder", "État / financeur"
    EMPLOYER = "employer", "Employeur"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """The platform operator is a superuser; everybody else acts through memberships."""

    username = None
    email = models.EmailField("adresse électronique", unique=True)
    phone = models.CharField("téléphone professionnel", max_length=20, blank=True)
    is_demo = models.BooleanField("compte de démonstration", default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def in_territory(self, territory):
        return self.filter(organisation__territory=territory)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("rôle", max_length=16, choices=Role)
    # An elected official or a commune's service reads the figures of these communes only.
    communes = models.ManyToManyField("territory.Commune", blank=True, verbose_name="communes suivies")
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "habilitation"
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"
