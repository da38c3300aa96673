"""Cohorts: coordinators create them, members put the people they follow in; names only for members."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cite_emploi.followup import reviews, services
from cite_emploi.followup.models import Cohort
from tests.accounts.factories import member
from tests.followup.factories import followed_by


@pytest.fixture
def coordinator(db):
    return member("coordinator")


@pytest.fixture
def cohort(gpsea, coordinator):
    return reviews.create_cohort(
        gpsea, by=coordinator, name="Jeunes Mont-Mesly printemps", entry_on=date(2025, 3, 1)
    )


def test_only_coordinators_create_and_edit_cohorts(gpsea, coordinator, cohort):
    counsellor = member("counsellor")
    with pytest.raises(services.FollowUpError):
        reviews.create_cohort(gpsea, by=counsellor, name="X", entry_on=date(2025, 1, 1))
    with pytest.raises(services.FollowUpError):
        reviews.update_cohort(cohort, by=counsellor, name="Y", entry_on=date(2025, 1, 1))
    reviews.update_cohort(cohort, by=coordinator, name="Jeunes Mont-Mesly", entry_on=date(2025, 3, 1))
    cohort.refresh_from_db()
    assert cohort.name == "Jeunes Mont-Mesly"


def test_a_coordinator_of_another_territory_cannot_create_here(gpsea, other_territory):
    with pytest.raises(services.FollowUpError):
        reviews.create_cohort(
            gpsea, by=member("coordinator", territory=other_territory), name="X", entry_on=date.today()
        )


def test_names_are_unique_and_dates_ordered(gpsea, coordinator, cohort):
    with pytest.raises(services.FollowUpError) as error:
        reviews.create_cohort(
            gpsea, by=coordinator, name="Jeunes Mont-Mesly printemps", entry_on=date(2025, 1, 1)
        )
    assert "s'appelle déjà" in error.value.message
    with pytest.raises(services.FollowUpError):
        reviews.create_cohort(
            gpsea, by=coordinator, name="Z", entry_on=date(2025, 3, 1), exit_on=date(2025, 2, 1)
        )


def test_members_add_and_remove_the_people_they_follow(cohort):
    counsellor = member("counsellor")
    person = followed_by(counsellor)
    reviews.add_to_cohort(cohort, person.follow_up, by=counsellor)
    assert list(cohort.follow_ups.all()) == [person.follow_up]
    assert "Entre dans la cohorte" in person.follow_up.events.first().text
    with pytest.raises(services.FollowUpError):
        reviews.add_to_cohort(cohort, person.follow_up, by=counsellor)
    with pytest.raises(services.FollowUpError):
        reviews.add_to_cohort(cohort, followed_by(member("counsellor")).follow_up, by=counsellor)
    reviews.remove_from_cohort(cohort, person.follow_up, by=counsellor)
    assert not cohort.follow_ups.exists()


def test_a_closed_cohort_takes_nobody(gpsea, coordinator):
    closed = reviews.create_cohort(
        gpsea,
        by=coordinator,
        name="Hiver",
        entry_on=date(2024, 1, 1),
        exit_on=timezone.localdate() - timedelta(days=1),
    )
    counsellor = member("counsellor")
    with pytest.raises(services.FollowUpError) as error:
        reviews.add_to_cohort(closed, followed_by(counsellor).follow_up, by=counsellor)
    assert "close" in error.value.message


def test_the_cohort_page_names_only_my_people(client, cohort):
    me, colleague = member("counsellor"), member("counsellor")
    mine = followed_by(me, last_name="Ndiaye")
    theirs = [followed_by(colleague, last_name=f"Autre{i}") for i in range(5)]
    reviews.add_to_cohort(cohort, mine.follow_up, by=me)
    for person in theirs:
        reviews.add_to_cohort(cohort, person.follow_up, by=colleague)
    client.force_login(me)
    page = client.get(reverse("followup:cohort_detail", args=[cohort.pk])).content.decode()
    assert "Ndiaye" in page and "Autre" not in page
    assert "6 personnes" in page
    listing = client.get(reverse("followup:cohort_list")).content.decode()
    assert "Jeunes Mont-Mesly printemps" in listing and "Nouvelle cohorte" not in listing


def test_small_cohorts_are_counted_under_secrecy(client, cohort):
    me = member("counsellor")
    reviews.add_to_cohort(cohort, followed_by(me).follow_up, by=me)
    client.force_login(member("coordinator"))
    page = client.get(reverse("followup:cohort_detail", args=[cohort.pk])).content.decode()
    assert "&lt; 5 personne" in page


def test_adding_through_the_page(client, cohort):
    me = member("counsellor")
    person = followed_by(me, last_name="Traoré")
    client.force_login(me)
    page = client.get(reverse("followup:cohort_detail", args=[cohort.pk])).content.decode()
    assert "TRAORÉ Camille" in page  # offered in the list of people to add
    client.post(reverse("followup:cohort_add", args=[cohort.pk]), {"beneficiary": person.pk})
    assert cohort.follow_ups.filter(pk=person.follow_up.pk).exists()
    client.post(reverse("followup:cohort_remove", args=[cohort.pk, person.pk]))
    assert not cohort.follow_ups.exists()


def test_someone_else_s_person_cannot_be_added_through_the_page(client, cohort):
    other = followed_by(member("counsellor"))
    client.force_login(member("counsellor"))
    response = client.post(
        reverse("followup:cohort_add", args=[cohort.pk]), {"beneficiary": other.pk}, follow=True
    )
    assert "Choisissez une des personnes que vous suivez." in response.content.decode()
    assert not cohort.follow_ups.exists()
    assert client.post(reverse("followup:cohort_remove", args=[cohort.pk, other.pk])).status_code == 404


def test_coordinator_creates_through_the_page(client, gpsea):
    client.force_login(member("coordinator"))
    response = client.post(
        reverse("followup:cohort_create"),
        {"name": "Seniors Bois l'Abbé", "entry_on": "2025-09-01", "exit_on": ""},
    )
    cohort = Cohort.objects.get(name="Seniors Bois l'Abbé")
    assert response["Location"] == reverse("followup:cohort_detail", args=[cohort.pk])
    assert cohort.territory == gpsea and cohort.exit_on is None
    client.force_login(member("counsellor"))
    assert client.get(reverse("followup:cohort_create")).status_code == 403


def test_other_territories_do_not_see_our_cohorts(client, cohort, other_territory):
    client.force_login(member("coordinator", territory=other_territory))
    assert client.get(reverse("followup:cohort_detail", args=[cohort.pk])).status_code == 404
    assert "Mont-Mesly" not in client.get(reverse("followup:cohort_list")).content.decode()
