import factory

from cite_emploi.accounts.models import Membership, Role, User
from tests.partners.factories import OrganisationFactory

PASSWORD = "un mot de passe solide"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@exemple.fr")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.COUNSELLOR


def member(role: str = Role.COUNSELLOR, **org) -> User:
    """A user with one membership of ``role`` in a new organisation (GPSEA unless ``territory`` is given)."""
    organisation = OrganisationFactory(**org)
    return MembershipFactory(role=role, organisation=organisation).user
