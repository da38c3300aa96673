from django.urls import reverse

from cite_emploi.accounts.scope import build_scope
from tests.accounts.factories import MembershipFactory, UserFactory, member
from tests.partners.factories import OrganisationFactory


def test_scope_is_the_territory_of_the_memberships(db, gpsea):
    user = member("counsellor")
    scope = build_scope(user)
    assert scope.territory == gpsea
    assert scope.roles == {"counsellor"}


def test_user_without_membership_has_no_territory_and_is_refused(client, db):
    user = UserFactory()
    client.force_login(user)
    assert build_scope(user).territory is None
    response = client.get(reverse("territory:overview"))
    assert response.status_code == 403
    assert "aucune organisation" in response.content.decode()


def test_switching_to_a_territory_without_membership_is_refused(client, db, gpsea, other_territory):
    user = member("coordinator")
    client.force_login(user)
    client.post(reverse("accounts:switch_territory"), {"territory": other_territory.pk})
    assert client.get(reverse("territory:overview")).context["summary"].territory == gpsea


def test_a_user_of_two_territories_switches(client, db, gpsea, other_territory):
    user = member("coordinator")
    MembershipFactory(
        user=user, organisation=OrganisationFactory(territory=other_territory), role="coordinator"
    )
    client.force_login(user)
    assert client.get(reverse("territory:overview")).context["summary"].territory == gpsea
    client.post(reverse("accounts:switch_territory"), {"territory": other_territory.pk})
    assert client.get(reverse("territory:overview")).context["summary"].territory == other_territory


def test_inactive_membership_gives_nothing(db):
    user = member("coordinator")
    user.memberships.update(is_active=False)
    assert build_scope(user).territory is None


def test_elected_reads_the_communes_of_their_membership(db):
    user = member("elected")
    membership = user.memberships.get()
    from cite_emploi.territory.models import Commune

    membership.communes.set([Commune.objects.get(code="94028")])
    assert build_scope(user).commune_ids == {Commune.objects.get(code="94028").pk}


def test_a_signed_in_page_costs_three_queries(client, db, django_assert_num_queries):
    """Session, user, memberships: what every page of a counsellor pays before its own work."""
    client.force_login(member())
    with django_assert_num_queries(3):
        assert client.get(reverse("core:accessibility")).status_code == 200


def test_an_elected_members_page_also_reads_their_communes(client, db, django_assert_num_queries):
    client.force_login(member("elected"))
    with django_assert_num_queries(4):
        assert client.get(reverse("core:accessibility")).status_code == 200


def test_account_lists_the_communes_of_every_membership(client, db):
    from cite_emploi.territory.models import Commune

    user = member()
    user.memberships.get().communes.set([Commune.objects.get(code="94028")])
    client.force_login(user)
    assert "Créteil" in client.get(reverse("accounts:account")).content.decode()
