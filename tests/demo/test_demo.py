import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cite_emploi.accounts.models import Membership, User
from cite_emploi.demo.followup import COLLEAGUES, colleague_email
from cite_emploi.demo.services import ACCOUNTS, PASSWORD, RealDataPresent, load_demo
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.models import Territory
from tests.accounts.factories import UserFactory


def test_demo_creates_every_account_and_a_second_fictitious_territory(db):
    load_demo()
    colleagues = {colleague_email(org, first) for org, first, _ in COLLEAGUES}
    assert set(User.objects.values_list("email", flat=True)) == {a.email for a in ACCOUNTS} | colleagues
    assert not User.objects.filter(is_demo=False).exists()
    # The colleagues only make follow-ups realistic: nobody can log in as one of them.
    assert not any(u.has_usable_password() for u in User.objects.filter(email__in=colleagues))
    other = Territory.objects.get(slug="val-de-marne-est-demo")
    assert other.is_demo
    assert Organisation.objects.filter(is_demo=False).count() == 0
    assert Membership.objects.get(user__email="coordinator.other@demo.test").organisation.territory == other
    assert User.objects.get(email="admin@demo.test").is_superuser


def test_demo_twice_changes_nothing(db):
    from cite_emploi.followup import models as f

    tables = (
        User,
        Organisation,
        Membership,
        f.Beneficiary,
        f.FollowUpMember,
        f.Consent,
        f.Barrier,
        f.Referral,
        f.ReferralEvent,
        f.TimelineEvent,
        f.Outcome,
        f.Cohort,
        f.CaseReview,
        f.CaseReviewItem,
    )
    load_demo()
    counts = [model.objects.count() for model in tables]
    load_demo()
    assert counts == [model.objects.count() for model in tables]


def test_every_demo_account_can_log_in(db):
    from django.test import Client

    load_demo()
    for account in ACCOUNTS:
        client = Client()
        response = client.post(reverse("accounts:login"), {"username": account.email, "password": PASSWORD})
        assert response.status_code == 302, account.email
        assert client.get(reverse("accounts:home")).status_code == 200


def test_demo_census_is_realistic(db):
    from cite_emploi.partners.models import Service, Site

    load_demo()
    gpsea = Service.objects.filter(organisation__territory__slug="gpsea")
    assert 100 <= gpsea.count() <= 150
    assert Organisation.objects.filter(territory__slug="gpsea").count() >= 40
    assert gpsea.filter(commune__code="94028").count() > gpsea.filter(commune__code="94004").count()
    assert Site.objects.filter(is_permanence=True, qpv__isnull=False).count() >= 10
    assert not Organisation.objects.filter(is_demo=False).exists()


def test_demo_refuses_a_database_with_real_accounts(db):
    UserFactory(email="vraie.personne@exemple.fr")
    with pytest.raises(RealDataPresent):
        load_demo()
    assert not User.objects.filter(email__endswith="@demo.test").exists()


def test_demo_command_refuses_real_data_before_writing(db):
    UserFactory(email="vraie.personne@exemple.fr")
    with pytest.raises(CommandError, match=r"réels"):
        call_command("demo", no_serve=True)
    assert not User.objects.filter(email__endswith="@demo.test").exists()


def test_demo_command_without_serving_prints_the_accounts(db, capsys):
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "coordinator@demo.test" in out and "« demo »" in out
