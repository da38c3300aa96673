"""Case reviews (instances de coordination): agenda, decisions, owners, minutes; each participant sees
only the people whose follow-up they belong to."""

from datetime import date

import pytest
from django.urls import reverse

from cite_emploi.accounts.models import Membership
from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import queries_reviews, reviews, services
from cite_emploi.followup.models import CaseReview, CaseReviewItem, TimelineEvent
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by, organisation_of

HELD_ON = date(2025, 6, 12)


@pytest.fixture
def ft(db):
    return member("counsellor", name="France Travail Créteil")


@pytest.fixture
def ml(db):
    return member("counsellor", name="Mission locale Plaine centrale")


@pytest.fixture
def review(gpsea, ft, ml):
    return reviews.create_review(
        gpsea,
        by=ft,
        title="Cellule opérationnelle Mont-Mesly",
        held_on=HELD_ON,
        organisations=[organisation_of(ft), organisation_of(ml)],
    )


@pytest.fixture
def agenda(review, ft, ml):
    """Two people of France Travail, one of the Mission locale, on the agenda in this order."""
    people = [
        followed_by(ft, last_name="Benali"),
        followed_by(ml, last_name="Kone"),
        followed_by(ft, last_name="Morel"),
    ]
    for person, by in zip(people, (ft, ml, ft), strict=True):
        reviews.add_item(review, person.follow_up, by=by)
    return people


def test_each_participant_sees_only_their_people(review, agenda, ft, ml, client):
    benali, kone, morel = agenda

    def labels(user):
        scope = type("S", (), {"user": user})()
        return [line.label for line in queries_reviews.agenda(review, scope)]

    assert labels(ft) == [str(benali), "situation n° 2 — non visible", str(morel)]
    assert labels(ml) == ["situation n° 1 — non visible", str(kone), "situation n° 3 — non visible"]
    client.force_login(ml)
    page = client.get(reverse("followup:review_detail", args=[review.pk])).content.decode()
    assert "Kone" in page and "Benali" not in page and "Morel" not in page
    assert "situation n° 1 — non visible" in page and "situation n° 3 — non visible" in page


def test_a_member_of_both_sees_both(review, agenda, ft, ml):
    kone = agenda[1]
    add_member(kone, ft)
    scope = type("S", (), {"user": ft})()
    assert [line.visible for line in queries_reviews.agenda(review, scope)] == [True, True, True]


def test_decisions_and_owners_stay_with_the_members(review, agenda, ft, ml, client):
    benali = agenda[0]
    item = CaseReviewItem.objects.get(review=review, follow_up=benali.follow_up)
    reviews.record_decision(item, by=ft, decision="Entrée en atelier CV", owner=ft, due_on=date(2025, 7, 1))
    item.refresh_from_db()
    assert item.decision == "Entrée en atelier CV" and item.owner == ft
    line = benali.follow_up.events.filter(kind=TimelineEvent.Kind.CASE_REVIEW).first()
    assert "Entrée en atelier CV" in line.text and "01/07/2025" in line.text
    client.force_login(ml)
    page = client.get(reverse("followup:review_detail", args=[review.pk])).content.decode()
    assert "Entrée en atelier CV" not in page
    assert client.get(reverse("followup:review_item", args=[review.pk, item.pk])).status_code == 404
    with pytest.raises(services.FollowUpError):
        reviews.record_decision(item, by=ml, decision="Autre chose")


def test_the_owner_must_be_a_member_of_the_follow_up(review, agenda, ft, ml):
    item = CaseReviewItem.objects.get(review=review, follow_up=agenda[0].follow_up)
    with pytest.raises(services.FollowUpError) as error:
        reviews.record_decision(item, by=ft, decision="Orienter vers la Mission locale", owner=ml)
    assert "membre du suivi" in error.value.message
    add_member(agenda[0], ml)
    reviews.record_decision(item, by=ft, decision="Orienter vers la Mission locale", owner=ml)


def test_only_members_of_participating_organisations_put_people_on_the_agenda(review, ft):
    outsider = member("counsellor")
    person = followed_by(outsider)
    with pytest.raises(services.FollowUpError) as error:
        reviews.add_item(review, person.follow_up, by=outsider)
    assert "organisations participantes" in error.value.message
    with pytest.raises(services.FollowUpError):  # a participant, but not a member of that follow-up
        reviews.add_item(review, person.follow_up, by=ft)


def test_the_agenda_of_a_multi_organisation_review_needs_consent(review, ft):
    person = followed_by(ft, consent=False)
    with pytest.raises(services.ConsentRequired) as error:
        reviews.add_item(review, person.follow_up, by=ft)
    assert "Mission locale Plaine centrale" in error.value.message


def test_a_review_of_one_organisation_needs_no_consent(gpsea, ft):
    internal = reviews.create_review(
        gpsea, by=ft, title="Point d'équipe", held_on=HELD_ON, organisations=[organisation_of(ft)]
    )
    person = followed_by(ft, consent=False)
    assert reviews.add_item(internal, person.follow_up, by=ft).follow_up == person.follow_up


def test_the_convener_s_organisation_takes_part(gpsea, ft, ml):
    review = reviews.create_review(
        gpsea, by=ft, title="Instance", held_on=HELD_ON, organisations=[organisation_of(ml)]
    )
    assert set(review.organisations.all()) == {organisation_of(ft), organisation_of(ml)}
    with pytest.raises(services.FollowUpError):
        reviews.create_review(
            gpsea, by=member("elected"), title="X", held_on=HELD_ON, organisations=[organisation_of(ml)]
        )


def test_who_opens_a_review(client, review, agenda, gpsea):
    client.force_login(member("counsellor"))  # not a participant
    assert client.get(reverse("followup:review_detail", args=[review.pk])).status_code == 404
    assert (
        "Cellule opérationnelle Mont-Mesly"
        not in client.get(reverse("followup:review_list")).content.decode()
    )
    client.force_login(member("coordinator"))  # the coordination sees every review, no names
    page = client.get(reverse("followup:review_detail", args=[review.pk])).content.decode()
    assert "situation n° 1 — non visible" in page and "Benali" not in page
    client.force_login(member("elected"))
    assert client.get(reverse("followup:review_detail", args=[review.pk])).status_code == 403


def test_only_the_convener_or_the_coordination_edits(client, review, ft, ml):
    client.force_login(ml)
    assert client.get(reverse("followup:review_edit", args=[review.pk])).status_code == 403
    client.force_login(ft)
    assert client.get(reverse("followup:review_edit", args=[review.pk])).status_code == 200
    with pytest.raises(services.FollowUpError):
        reviews.update_review(review, by=ml, title="X", held_on=HELD_ON, organisations=[organisation_of(ml)])


def test_create_and_fill_a_review_through_the_pages(client, gpsea, ft, ml):
    person = followed_by(ft, last_name="Lefebvre")
    client.force_login(ft)
    response = client.post(
        reverse("followup:review_create"),
        {
            "title": "Cellule jeunes",
            "held_on": "2025-06-12",
            "organisations": [organisation_of(ft).pk, organisation_of(ml).pk],
        },
    )
    review = CaseReview.objects.get(title="Cellule jeunes")
    assert response["Location"] == reverse("followup:review_detail", args=[review.pk])
    client.post(reverse("followup:review_item_add", args=[review.pk]), {"beneficiary": person.pk})
    item = review.items.get()
    owner = services.member_of(person.follow_up, ft)
    client.post(
        reverse("followup:review_item", args=[review.pk, item.pk]),
        {"decision": "Mise en relation avec un employeur", "owner": owner.pk, "due_on": "2025-07-15"},
    )
    item.refresh_from_db()
    assert item.decision == "Mise en relation avec un employeur" and item.owner == ft
    page = client.get(reverse("followup:review_detail", args=[review.pk])).content.decode()
    assert "Lefebvre" in page and "Mise en relation avec un employeur" in page
    client.post(reverse("followup:review_item_remove", args=[review.pk, item.pk]))
    assert not review.items.exists()


def test_minutes_pdf_are_written_for_the_reader(client, review, agenda, ft, ml):
    item = CaseReviewItem.objects.get(review=review, follow_up=agenda[1].follow_up)
    reviews.record_decision(item, by=ml, decision="Inscription en garantie jeunes")
    client.force_login(ft)
    response = client.get(reverse("followup:review_minutes", args=[review.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(actor=ft, action="export", object_id=str(agenda[0].pk)).exists()
    assert not AuditEntry.objects.filter(actor=ft, action="export", object_id=str(agenda[1].pk)).exists()


def test_minutes_html_hide_the_others(review, agenda, ft):
    from django.template.loader import render_to_string

    scope = type("S", (), {"user": ft})()
    html = render_to_string(
        "followup/reviews/minutes_pdf.html",
        {
            "review": review,
            "lines": queries_reviews.agenda(review, scope),
            "organisations": queries_reviews.participants(review),
            "viewer": ft,
        },
    )
    assert "Benali" in html and "Morel" in html and "Kone" not in html
    assert "situation n° 2 — non visible" in html


def test_reading_the_review_is_audited_for_visible_people_only(client, review, agenda, ml):
    client.force_login(ml)
    client.get(reverse("followup:review_detail", args=[review.pk]))
    read = set(
        AuditEntry.objects.filter(actor=ml, action="read", object_type="followup.beneficiary").values_list(
            "object_id", flat=True
        )
    )
    assert read == {str(agenda[1].pk)}


def test_another_territory_sees_nothing(client, review, other_territory):
    client.force_login(member("coordinator", territory=other_territory))
    assert client.get(reverse("followup:review_detail", args=[review.pk])).status_code == 404
    assert client.get(reverse("followup:review_minutes", args=[review.pk])).status_code == 404


def test_a_participant_who_left_the_organisation_no_longer_sees_the_review(client, review, ml):
    Membership.objects.filter(user=ml).update(is_active=False)
    client.force_login(ml)
    assert client.get(reverse("followup:review_detail", args=[review.pk])).status_code == 403
