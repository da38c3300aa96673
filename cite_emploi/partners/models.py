"""Partner organisations and their offer of services, on the data·inclusion v1 schema.

Field names follow the schema where they map one to one (see ``data_inclusion.py`` for the
translation); list-valued schema fields are stored as JSON lists and mirrored, for filtering, in
``ServiceFacet`` rows written by ``services.save_service`` only.
"""

from django.conf import settings
from django.db import models

from .text import service_search_text


class OrganisationKind(models.TextChoices):
    """Local kinds of organisation; the national networks are the data·inclusion ``reseaux_porteurs``."""

    CITE_TEAM = "cite", "Équipe de la Cité de l'emploi"
    FRANCE_TRAVAIL = "france-travail", "France Travail"
    MISSION_LOCALE = "mission-locale", "Mission locale"
    CAP_EMPLOI = "cap-emploi", "Cap emploi"
    PLIE = "plie", "PLIE"
    COMMUNE = "commune", "Commune ou service communal"
    STATE = "etat", "Services de l'État"
    DEPARTMENT = "departement", "Conseil départemental"
    ASSOCIATION = "association", "Association"
    NEIGHBOURHOOD_ASSOCIATION = "association-quartier", "Association de quartier"
    TRAINING_BODY = "formation", "Organisme de formation"
    SIAE = "siae", "Structure d'insertion par l'activité économique"
    SOCIAL_LANDLORD = "bailleur", "Bailleur social"
    EMPLOYER = "employeur", "Employeur"
    OTHER = "autre", "Autre"


class Address(models.Model):
    """Where something is: postal address, coordinates, and the commune and QPV they fall in."""

    address = models.CharField("adresse", max_length=255, blank=True)
    address_complement = models.CharField("complément d'adresse", max_length=255, blank=True)
    postcode = models.CharField("code postal", max_length=5, blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
    )
    commune_name = models.CharField("commune (libellé)", max_length=120, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)
    latitude = models.FloatField("latitude", null=True, blank=True)
    # Set from the coordinates by the QPV locator, never typed.
    qpv = models.ForeignKey(
        "territory.QPV",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="QPV",
    )

    class Meta:
        abstract = True

    @property
    def has_point(self) -> bool:
        return self.longitude is not None and self.latitude is not None


class OrganisationQuerySet(models.QuerySet):
    def in_territory(self, territory):
        return self.filter(territory=territory)


class Organisation(Address):
    territory = models.ForeignKey(
        "territory.Territory",
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name="territoire",
    )
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=24, choices=OrganisationKind)
    # data·inclusion v1 ``reseaux_porteurs`` values.
    networks = models.JSONField("réseaux porteurs", default=list, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    description = models.TextField("présentation", blank=True)
    # Function-based contacts only: a reception desk, never a person's own line.
    phone = models.CharField("téléphone d'accueil", max_length=20, blank=True)
    email = models.EmailField("courriel d'accueil", blank=True)
    website = models.URLField("site web", blank=True)
    opening_hours = models.CharField("horaires d'accueil (format OSM)", max_length=255, blank=True)
    accessibility_url = models.URLField("accessibilité du lieu (Accès libre)", blank=True)
    publics = models.JSONField("publics accompagnés", default=list, blank=True)
    # data·inclusion identity: (source, external_id) is stable across imports.
    source = models.CharField("source", max_length=60, default="cite-emploi")
    external_id = models.CharField("identifiant à la source", max_length=120, blank=True)
    source_link = models.URLField("lien à la source", blank=True)
    updated_on = models.DateField("date de mise à jour", null=True, blank=True)
    is_demo = models.BooleanField("fictive (démonstration)", default=False)
    created_at = models.DateTimeField("créée le", auto_now_add=True, null=True)
    modified_at = models.DateTimeField("modifiée le", auto_now=True, null=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "name"], name="organisation_name_unique"),
            models.UniqueConstraint(
                fields=["territory", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="organisation_source_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["territory", "kind"])]

    def __str__(self):
        return self.name

    @property
    def data_inclusion_id(self) -> str:
        return self.external_id or f"{self.source}--{self.pk}"


class Contact(models.Model):
    """A function-based contact point of an organisation (« accueil », « référent RSA »…)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    function = models.CharField("fonction", max_length=120)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)

    class Meta:
        verbose_name = "contact"
        ordering = ["function"]

    def __str__(self):
        return self.function


class Site(Address):
    """A place where an organisation receives the public: its premises, or a permanence in a quartier."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField("nom du lieu", max_length=200)
    is_permanence = models.BooleanField("permanence", default=False)
    opening_hours = models.CharField("horaires (format OSM)", max_length=255, blank=True)
    notes = models.CharField("précisions", max_length=255, blank=True)

    class Meta:
        verbose_name = "lieu d'accueil"
        verbose_name_plural = "lieux d'accueil"
        ordering = ["organisation__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.commune_name or self.organisation})"


class Unindexed(models.Func):
    """A column's value that SQLite's planner may not use an index for (``+column``).

    For queries that read most of a table: SQLite would otherwise walk the ``organisation_id``
    index for every organisation of the territory and fetch the rows one by one, three times
    slower than reading the table in order when the territory holds most services.
    PostgreSQL's planner chooses well by itself: the column is left as it is there.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"+{sql}", params


class ServiceQuerySet(models.QuerySet):
    def in_territory(self, territory):
        return self.filter(organisation__territory=territory)

    def scanning_territory(self, territory):
        """``in_territory`` for searches over most of the territory's services (see ``Unindexed``)."""
        organisations = Organisation.objects.filter(territory=territory).values("pk")
        return self.alias(scope_organisation=Unindexed("organisation_id")).filter(
            scope_organisation__in=organisations
        )


class Service(Address):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="services")
    source = models.CharField("source", max_length=60, default="cite-emploi")
    external_id = models.CharField("identifiant à la source", max_length=160, blank=True)
    source_link = models.URLField("lien à la source", blank=True)
    name = models.CharField("nom", max_length=150)
    description = models.TextField("description")
    updated_on = models.DateField("date de mise à jour")
    type = models.CharField("type de service", max_length=40, blank=True)
    thematiques = models.JSONField("thématiques", default=list, blank=True)
    fees = models.CharField("frais", max_length=20, blank=True)
    fees_details = models.TextField("précisions sur les frais", blank=True)
    publics = models.JSONField("publics", default=list, blank=True)
    publics_details = models.TextField("précisions sur les publics", blank=True)
    access_conditions = models.TextField("conditions d'accès", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("courriel", blank=True)
    reception_modes = models.JSONField("modes d'accueil", default=list, blank=True)
    eligibility_zone = models.JSONField("zone d'éligibilité", default=list, blank=True)
    contact_name = models.CharField("contact (nom et prénom)", max_length=150, blank=True)
    mobilisation_link = models.URLField("lien de mobilisation", blank=True)
    mobilisation_modes = models.JSONField("modes de mobilisation", default=list, blank=True)
    mobilisable_by = models.JSONField("mobilisable par", default=list, blank=True)
    mobilisation_details = models.TextField("précisions sur la mobilisation", blank=True)
    weekly_hours = models.FloatField("volume horaire hebdomadaire", null=True, blank=True)
    weeks = models.PositiveIntegerField("nombre de semaines", null=True, blank=True)
    opening_hours = models.CharField("horaires d'accueil (format OSM)", max_length=255, blank=True)
    sites = models.ManyToManyField(
        Site, blank=True, related_name="services", verbose_name="lieux de délivrance"
    )
    # data·inclusion ``score_qualite``, computed by the official package on every save.
    quality_score = models.FloatField("score de qualité", null=True, blank=True)
    confirmation_requested_at = models.DateTimeField("confirmation demandée le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True, null=True)
    modified_at = models.DateTimeField("modifié le", auto_now=True, null=True)
    # Name and description folded (``text.service_search_text``), kept by ``save`` and the import.
    search_text = models.TextField("texte de recherche", blank=True, default="", editable=False)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = "service"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="service_source_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_on"]),
            models.Index(fields=["commune"]),
            models.Index(fields=["qpv"]),
            # The catalogue's order: a page of a broad search stops after its rows.
            models.Index(fields=["name", "id"], name="service_name_id"),
            # Distance searches: the bounding box is read from the index alone.
            models.Index(fields=["latitude", "longitude", "organisation"], name="service_place"),
            # The coverage's cache stamp (count and last change per territory) from the index alone.
            models.Index(fields=["organisation", "modified_at"], name="service_org_modified"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"name", "description"} & set(update_fields):
            self.search_text = service_search_text(self.name, self.description)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def data_inclusion_id(self) -> str:
        return self.external_id or f"{self.source}--{self.pk}"


class ServiceFacet(models.Model):
    """One searchable value of a service (a thématique, its category, a public, a mode, a zone code).

    JSON lists cannot be filtered alike on SQLite and PostgreSQL; these rows can, with an index.
    """

    class Facet(models.TextChoices):
        CATEGORY = "categorie", "Catégorie"
        THEMATIQUE = "thematique", "Thématique"
        PUBLIC = "public", "Public"
        RECEPTION = "accueil", "Mode d'accueil"
        MOBILISATION = "mobilisation", "Mode de mobilisation"
        MOBILISABLE_BY = "mobilisable", "Mobilisable par"
        ZONE = "zone", "Zone d'éligibilité"
        COMMUNE = "commune", "Commune de délivrance"
        QPV = "qpv", "QPV de délivrance"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=16, choices=Facet)
    value = models.CharField(max_length=120)

    class Meta:
        verbose_name = "facette de service"
        constraints = [
            models.UniqueConstraint(fields=["service", "facet", "value"], name="facet_unique"),
        ]
        indexes = [models.Index(fields=["facet", "value", "service"])]

    def __str__(self):
        return f"{self.facet}={self.value}"


class Partnership(models.Model):
    class Kind(models.TextChoices):
        CONVENTION = "convention", "Convention de partenariat"
        CO_ANIMATION = "co-animation", "Co-animation d'actions"
        PERMANENCE = "permanence", "Accueil d'une permanence"
        REFERRALS = "orientations", "Orientations réciproques"
        OTHER = "autre", "Autre"

    territory = models.ForeignKey(
        "territory.Territory", on_delete=models.CASCADE, related_name="partnerships"
    )
    source = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_out")
    target = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_in")
    kind = models.CharField("nature", max_length=16, choices=Kind)
    description = models.CharField("objet", max_length=255, blank=True)
    started_on = models.DateField("depuis", null=True, blank=True)
    ended_on = models.DateField("jusqu'au", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "partenariat"
        ordering = ["source__name", "target__name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="partnership_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="partnership_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.source} → {self.target} ({self.get_kind_display()})"
