"""Factories of the follow-up app, shared by every test of beneficiaries, referrals and reviews.

``followed_by(user)`` is the usual entry point: a beneficiary with an open follow-up whose referent
is ``user`` (in their organisation), with consent recorded unless ``consent=False``.
"""

from datetime import date

import factory
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.followup.models import (
    Barrier,
    BarrierStatusChange,
    Beneficiary,
    Consent,
    FollowUp,
    FollowUpMember,
    history_of,
)
from cite_emploi.partners import enums
from cite_emploi.territory.models import Territory
from tests.partners.factories import OrganisationFactory


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    """A fictitious person of GPSEA, created by a new organisation of that territory."""

    class Meta:
        model = Beneficiary

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    created_by_organisation = factory.SubFactory(
        OrganisationFactory, territory=factory.SelfAttribute("..territory")
    )
    first_name = factory.Sequence(lambda n: f"Camille{n}")
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    birth_date = date(1995, 3, 14)
    sex = "F"


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    beneficiary = factory.SubFactory(BeneficiaryFactory)


class BarrierFactory(factory.django.DjangoModelFactory):
    """A barrier and the status history its dates imply (``history_of``), as the services keep it."""

    class Meta:
        model = Barrier
        skip_postgeneration_save = True  # the history hook writes other rows, never the barrier

    follow_up = factory.SubFactory(FollowUpFactory)
    thematique = "mobilite--acceder-a-un-vehicule"
    category = factory.LazyAttribute(lambda barrier: enums.category_of(barrier.thematique))
    status = Barrier.Status.IDENTIFIED
    identified_on = factory.LazyFunction(timezone.localdate)
    status_changed_on = factory.LazyAttribute(lambda barrier: barrier.identified_on)

    @factory.post_generation
    def history(barrier, create, extracted, **kwargs):
        if create:
            BarrierStatusChange.objects.bulk_create(history_of(barrier))


class FollowUpMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpMember

    follow_up = factory.SubFactory(FollowUpFactory)
    organisation = factory.LazyAttribute(lambda m: m.follow_up.beneficiary.created_by_organisation)
    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    is_referent = False


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    given_on = factory.LazyFunction(timezone.localdate)
    organisation = factory.LazyAttribute(lambda c: c.beneficiary.created_by_organisation)


def organisation_of(user):
    """The first active organisation of ``user`` (the one ``member()`` created)."""
    membership = Membership.objects.active().filter(user=user).select_related("organisation").first()
    if membership is None:
        raise ValueError(f"{user} n'a aucune habilitation active.")
    return membership.organisation


def followed_by(user, organisation=None, consent: bool = True, **fields) -> Beneficiary:
    """A beneficiary with an open follow-up whose referent is ``user``.

    ``organisation`` defaults to the user's first organisation; it becomes the creating
    organisation. ``fields`` go to the beneficiary (names, birth_date, territory…).
    """
    organisation = organisation or organisation_of(user)
    fields.setdefault("territory", organisation.territory)
    beneficiary = BeneficiaryFactory(created_by_organisation=organisation, **fields)
    follow_up = FollowUpFactory(beneficiary=beneficiary)
    FollowUpMemberFactory(follow_up=follow_up, organisation=organisation, user=user, is_referent=True)
    if consent:
        ConsentFactory(beneficiary=beneficiary, organisation=organisation, collected_by=user)
    return beneficiary


def add_member(
    beneficiary: Beneficiary, user, organisation=None, is_referent: bool = False
) -> FollowUpMember:
    """Make ``user`` an active member of the beneficiary's follow-up (no checks: a test shortcut)."""
    return FollowUpMemberFactory(
        follow_up=beneficiary.follow_up,
        organisation=organisation or organisation_of(user),
        user=user,
        is_referent=is_referent,
    )
