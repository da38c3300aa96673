"""The demo's fictitious follow-ups: realistic, inside the real QPV outlines, and as partitioned as real ones."""

from collections import Counter

import pytest
import shapely
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from shapely.geometry import shape

from cite_emploi.demo.services import load_demo
from cite_emploi.followup import models as f
from cite_emploi.followup.queries import birth_date_range
from cite_emploi.territory.models import QPV, Territory


@pytest.fixture
def demo(db):
    load_demo()
    return Territory.objects.get(slug="gpsea")


def _consented(path: str = "pk") -> Exists:
    return Exists(f.Consent.objects.filter(beneficiary=OuterRef(path), withdrawn_on__isnull=True))


def _followed_by(email: str) -> set[int]:
    return set(
        f.FollowUpMember.objects.filter(user__email=email, ended_on__isnull=True).values_list(
            "follow_up__beneficiary_id", flat=True
        )
    )


def test_demo_people_are_a_realistic_fictitious_population(demo):
    people = f.Beneficiary.objects.filter(territory=demo)
    assert 1900 <= people.count() <= 2100
    assert not people.filter(is_demo=False).exists()
    assert f.Beneficiary.objects.exclude(territory=demo).count() == 0
    ages = {
        group: people.filter(birth_date_range(group)).count() for group in ("jeunes", "adultes", "seniors")
    }
    assert ages["adultes"] > ages["jeunes"] > ages["seniors"] > 200, ages
    assert (
        people.filter(birth_date_range("jeunes")).count()
        == people.count() - ages["adultes"] - ages["seniors"]
    )
    sexes = Counter(people.values_list("sex", flat=True))
    assert 0.45 < sexes["F"] / people.count() < 0.55
    assert people.exclude(search_name="").count() == people.count()
    # Most but not all have consented; every referral status, barrier status and outcome kind appears.
    consented = people.filter(_consented()).count()
    assert 0.75 * people.count() < consented < people.count()
    assert set(f.Referral.objects.values_list("status", flat=True)) == set(f.Referral.Status.values)
    assert set(f.Barrier.objects.values_list("status", flat=True)) == set(f.Barrier.Status.values)
    # Each barrier's history starts on the day it was identified and ends on its status of today.
    latest = f.BarrierStatusChange.objects.filter(barrier=OuterRef("pk")).order_by("-changed_on", "-pk")
    barriers = f.Barrier.objects.annotate(
        first=Subquery(latest.order_by("changed_on", "pk").values("changed_on")[:1]),
        last_status=Subquery(latest.values("status")[:1]),
        last_on=Subquery(latest.values("changed_on")[:1]),
    )
    assert not barriers.exclude(first=F("identified_on")).exists()
    assert not barriers.exclude(last_status=F("status"), last_on=F("status_changed_on")).exists()
    assert set(f.Outcome.objects.values_list("kind", flat=True)) == set(f.Outcome.Kind.values)
    assert (
        f.SituationFact.objects.filter(kind="rqth").exists()
        and f.SituationFact.objects.filter(kind="rsa").exists()
    )
    assert f.ProfessionalProject.objects.filter(target_jobs__isnull=False).exists()
    # Each sent referral has its dated history, from the draft to its status.
    sent = f.Referral.objects.exclude(status="draft").annotate(n=Count("events"))
    assert not sent.filter(n__lt=2).exists()
    assert not f.Referral.objects.exclude(status="draft").filter(sent_at__isnull=True).exists()
    # Referrals to another organisation only with consent.
    elsewhere = f.Referral.objects.exclude(receiving_organisation=F("sender_organisation"))
    assert elsewhere.exists() and not elsewhere.filter(~_consented("follow_up__beneficiary")).exists()
    _addresses_are_inside_the_qpv_outlines_or_in_the_gpsea_communes(demo)


def _addresses_are_inside_the_qpv_outlines_or_in_the_gpsea_communes(demo):
    people = f.Beneficiary.objects.filter(territory=demo)
    in_qpv = people.filter(qpv__isnull=False)
    assert 0.6 * people.count() < in_qpv.count() < 0.9 * people.count()
    assert people.filter(qpv__isnull=True, longitude__isnull=False).count() > 200  # in the perimeter or not
    outlines = {q.pk: shape(q.geometry) for q in QPV.objects.filter(pk__in=in_qpv.values("qpv"))}
    assert len(outlines) == 9  # the nine QPV 2024 of the GPSEA perimeter
    for qpv_id, lon, lat in in_qpv.values_list("qpv_id", "longitude", "latitude"):
        assert shapely.intersects_xy(outlines[qpv_id], lon, lat)
    assert not in_qpv.filter(in_perimeter=False).exists()
    communes = set(demo.communes.values_list("pk", flat=True))
    assert set(people.values_list("commune_id", flat=True)) <= communes


def test_every_demo_follow_up_has_one_active_referent_and_shares_only_with_consent(demo):
    follow_ups = f.FollowUp.objects.filter(beneficiary__territory=demo).annotate(
        referents=Count("members", filter=Q(members__is_referent=True, members__ended_on__isnull=True)),
        outsiders=Count(
            "members",
            filter=Q(members__ended_on__isnull=True)
            & ~Q(members__organisation=F("beneficiary__created_by_organisation")),
        ),
    )
    assert set(follow_ups.values_list("referents", flat=True)) == {1}
    no_consent = follow_ups.filter(~_consented("beneficiary"))
    assert no_consent.exists()
    assert set(no_consent.values_list("outsiders", flat=True)) == {0}
    assert follow_ups.filter(outsiders__gte=1).count() > 300  # shared follow-ups are common
    organisations = f.FollowUpMember.objects.filter(follow_up__in=follow_ups).values(
        "organisation__territory"
    )
    assert set(organisations.values_list("organisation__territory", flat=True).distinct()) == {demo.pk}
    _the_two_demo_counsellors_follow_different_people_and_share_some()
    _cohorts_and_monthly_case_reviews(demo)


def _the_two_demo_counsellors_follow_different_people_and_share_some():
    ft = _followed_by("counsellor.ft@demo.test")
    ml = _followed_by("counsellor.ml@demo.test")
    assert len(ft - ml) > 100 and len(ml - ft) > 100
    shared = ft & ml
    assert len(shared) >= 20
    assert f.Beneficiary.objects.filter(_consented(), pk__in=shared).count() == len(shared)
    assert _followed_by("coordinator@demo.test")  # the coordination sees the situations it joined


def _cohorts_and_monthly_case_reviews(demo):
    assert f.Cohort.objects.filter(territory=demo).count() == 3
    assert all(c.follow_ups.count() >= 10 for c in f.Cohort.objects.all())
    reviews = list(f.CaseReview.objects.filter(territory=demo).order_by("held_on"))
    assert len(reviews) == 7
    months = {(r.held_on.year, r.held_on.month) for r in reviews}
    assert len(months) == 7  # one a month
    past = reviews[:-1]
    for review in past:
        items = list(review.items.all())
        assert items and all(i.decision and i.owner_id and i.due_on for i in items)
        for item in items:  # each owner is a member of the follow-up
            assert item.follow_up.members.filter(user=item.owner, ended_on__isnull=True).exists()
    assert reviews[-1].items.exists() and not reviews[-1].items.exclude(decision="").exists()


def test_demo_follow_ups_never_reach_the_other_territory(client, demo):
    from cite_emploi.accounts.models import User

    beneficiary = f.Beneficiary.objects.filter(territory=demo).first()
    client.force_login(User.objects.get(email="coordinator.other@demo.test"))
    response = client.get(reverse("followup:beneficiaries"), {"statut": "tous"})
    assert response.status_code == 200 and response.context["count"] == 0
    assert client.get(reverse("followup:beneficiary", args=[beneficiary.pk])).status_code == 404
    client.force_login(User.objects.get(email="counsellor.ft@demo.test"))
    response = client.get(reverse("followup:beneficiaries"), {"statut": "tous"})
    assert response.context["count"] == len(_followed_by("counsellor.ft@demo.test"))
    mine = next(iter(_followed_by("counsellor.ft@demo.test") - _followed_by("counsellor.ml@demo.test")))
    assert client.get(reverse("followup:beneficiary", args=[mine])).status_code == 200
    client.force_login(User.objects.get(email="counsellor.ml@demo.test"))
    assert client.get(reverse("followup:beneficiary", args=[mine])).status_code == 404
