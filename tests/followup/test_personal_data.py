"""Personal data: every route of a person answers 404 to anyone outside their follow-up, and is audited."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import services
from cite_emploi.followup.models import JoinRequest
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by, organisation_of

# Every route of urls_core that names a person, with the extra objects it needs.
PERSON_ROUTES = [
    ("followup:beneficiary", {}),
    ("followup:beneficiary_edit", {}),
    ("followup:fact_create", {}),
    ("followup:fact_end", {"fact_pk": "fact"}),
    ("followup:consent_create", {}),
    ("followup:consent_withdraw", {}),
    ("followup:consent_document", {"consent_pk": "consent"}),
    ("followup:member_invite", {}),
    ("followup:referent_transfer", {}),
    ("followup:member_end", {"member_pk": "member"}),
    ("followup:follow_up_close", {}),
    ("followup:follow_up_reopen", {}),
    ("followup:barrier_create", {}),
    ("followup:barrier_status", {"barrier_pk": "barrier"}),
    ("followup:project_edit", {}),
    ("followup:timeline", {}),
    ("followup:entry_create", {}),
    ("followup:outcome_create", {}),
    ("followup:export_json", {}),
    ("followup:export_pdf", {}),
    ("followup:erase", {}),
]


@pytest.fixture
def person(db, settings, tmp_path):
    """A followed person with one of everything a route can name."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    referent = member("counsellor")
    b = followed_by(referent, consent=False)
    consent = services.record_consent(
        b,
        by=referent,
        given_on=timezone.localdate(),
        document=SimpleUploadedFile("f.pdf", b"%PDF-1.4 x", content_type="application/pdf"),
    )
    fact = services.add_situation_fact(b, by=referent, kind="rsa")
    barrier = services.add_barrier(
        b.follow_up, thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite", by=referent
    )
    objects = {
        "pk": b.pk,
        "fact": fact.pk,
        "consent": consent.pk,
        "barrier": barrier.pk,
        "member": b.follow_up.members.get().pk,
    }
    return b, referent, objects


def url(name, extra, objects):
    return reverse(name, kwargs={"pk": objects["pk"], **{k: objects[v] for k, v in extra.items()}})


def test_every_person_route_is_listed():
    from cite_emploi.followup import urls_core

    named = {f"followup:{p.name}" for p in urls_core.urlpatterns if "<int:pk>" in str(p.pattern)}
    assert named - {"followup:join_request_answer"} == {name for name, _ in PERSON_ROUTES}


@pytest.mark.parametrize(("name", "extra"), PERSON_ROUTES, ids=[n for n, _ in PERSON_ROUTES])
@pytest.mark.parametrize("role", ["counsellor", "coordinator"])
def test_a_professional_outside_the_follow_up_gets_404(client, person, name, extra, role):
    _, _, objects = person
    client.force_login(member(role))
    path = url(name, extra, objects)
    assert client.get(path).status_code == 404
    assert client.post(path, {"confirm": "on", "decision": "accepter"}).status_code == 404


def test_a_former_member_gets_404_everywhere(client, person):
    b, _, objects = person
    guest = member("counsellor")
    services.end_membership(add_member(b, guest), by=guest)
    client.force_login(guest)
    for name, extra in PERSON_ROUTES:
        assert client.get(url(name, extra, objects)).status_code == 404, name


def test_a_member_reaches_every_route(client, person):
    _, referent, objects = person
    client.force_login(referent)
    for name, extra in PERSON_ROUTES:
        assert client.get(url(name, extra, objects)).status_code in (200, 405), name


@pytest.mark.parametrize("role", ["elected", "funder", "employer"])
def test_other_roles_never_reach_a_person(client, person, role):
    _, _, objects = person
    client.force_login(member(role))
    for name, extra in PERSON_ROUTES:
        assert client.get(url(name, extra, objects)).status_code == 403, name


def test_join_request_answer_is_404_for_anyone_but_the_referent(client, person):
    b, referent, _ = person
    asker = member("counsellor")
    join_request = services.request_to_join(b, by=asker, organisation=organisation_of(asker))
    path = reverse("followup:join_request_answer", args=[join_request.pk])
    for user in (asker, member("counsellor"), member("coordinator")):
        client.force_login(user)
        assert client.post(path, {"decision": "accepter"}).status_code == 404
    client.force_login(referent)
    assert client.get(path).status_code == 405
    assert client.post(path, {"decision": "accepter"}).status_code == 302
    assert JoinRequest.objects.get().status == "accepted"


def test_every_page_read_is_audited(client, person):
    b, referent, objects = person
    client.force_login(referent)
    for name, extra in PERSON_ROUTES:
        before = AuditEntry.objects.filter(object_id=str(b.pk), actor=referent).count()
        response = client.get(url(name, extra, objects))
        if response.status_code == 200:
            assert AuditEntry.objects.filter(object_id=str(b.pk), actor=referent).count() > before, name
    read = AuditEntry.objects.filter(object_id=str(b.pk), action="read", detail__what="fiche").first()
    assert read.object_type == "followup.beneficiary" and read.ip_address == "127.0.0.1"


def test_the_list_audits_each_person_shown(client, person):
    b, referent, _ = person
    client.force_login(referent)
    client.get(reverse("followup:beneficiaries"))
    assert AuditEntry.objects.filter(object_id=str(b.pk), action="read", detail__what="liste").count() == 1


def test_the_audit_log_is_for_coordinators_and_shows_no_name(client, person):
    b, referent, _ = person
    client.force_login(referent)
    client.get(reverse("followup:beneficiary", args=[b.pk]))
    assert client.get(reverse("followup:audit_log")).status_code == 403
    client.force_login(member("coordinator"))
    response = client.get(reverse("followup:audit_log"), {"beneficiaire": b.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"fiche n° {b.pk}" in body and referent.email in body
    assert b.first_name not in body and b.last_name not in body
    other = client.get(reverse("followup:audit_log"), {"beneficiaire": b.pk + 1000}).content.decode()
    assert f"fiche n° {b.pk}<" not in other


def test_the_audit_log_filters_by_user_and_date(client, person):
    _, referent, _ = person
    coordinator = member("coordinator")
    client.force_login(coordinator)
    today = timezone.localdate().isoformat()
    by_user = client.get(
        reverse("followup:audit_log"), {"utilisateur": referent.pk, "du": today, "au": today}
    )
    assert by_user.status_code == 200 and by_user.context["page_obj"].paginator.count > 0
    assert all(e.actor == referent for e in by_user.context["page_obj"])
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    later = client.get(reverse("followup:audit_log"), {"du": tomorrow})
    assert later.context["page_obj"].paginator.count == 0


def test_another_territory_never_sees_the_audit_log_of_ours(client, person, other_territory):
    client.force_login(member("coordinator", territory=other_territory))
    response = client.get(reverse("followup:audit_log"))
    assert response.context["page_obj"].paginator.count == 0
