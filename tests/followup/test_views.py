"""The pages of the shared follow-up, as a counsellor uses them."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import services
from cite_emploi.followup.models import Beneficiary, FollowUp, JoinRequest, TimelineEvent
from cite_emploi.territory.models import QPV, RomeAppellation
from tests.accounts.factories import MembershipFactory, member
from tests.followup.factories import add_member, followed_by, organisation_of

NEW_PERSON = {
    "first_name": "Éloïse",
    "last_name": "Dupont",
    "birth_date": "1990-05-17",
    "sex": "F",
    "location_mode": "quartier",
    "qpv": "",
    "commune": "",
    "address": "",
    "postcode": "",
}


@pytest.fixture
def counsellor(db):
    return member("counsellor")


# --- « mes bénéficiaires » ----------------------------------------------------------------------


def test_the_list_shows_only_my_follow_ups(client, counsellor):
    mine = followed_by(counsellor, last_name="Benali")
    theirs = followed_by(member("counsellor"), last_name="Zerrouki")
    client.force_login(counsellor)
    body = client.get(reverse("followup:beneficiaries")).content.decode()
    assert "BENALI" in body and "ZERROUKI" not in body
    assert reverse("followup:beneficiary", args=[mine.pk]) in body
    assert reverse("followup:beneficiary", args=[theirs.pk]) not in body


def test_name_search_ignores_accents_and_case(client, counsellor):
    followed_by(counsellor, first_name="Éloïse", last_name="N'Diaye")
    followed_by(counsellor, first_name="Karim", last_name="Haddad")
    client.force_login(counsellor)
    for q in ("eloise", "ELOÏSE n'diaye", "ndiaye", "diaye"):
        rows = client.get(reverse("followup:beneficiaries"), {"q": q}).context["rows"]
        assert [b.last_name for b in rows] == ["N'Diaye"], q


def test_list_filters(client, counsellor):
    today = timezone.localdate()
    mont_mesly = QPV.objects.get(code="QN09405M", geography_year=2024)
    young = followed_by(counsellor, last_name="Jeune", birth_date=date(today.year - 20, 1, 1), qpv=mont_mesly)
    senior = followed_by(counsellor, last_name="Senior", birth_date=date(today.year - 60, 1, 1))
    services.add_barrier(
        young.follow_up, thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite", by=counsellor
    )
    services.add_entry(
        senior.follow_up, kind="contact", text="Appel", by=counsellor, at=timezone.now() - timedelta(days=3)
    )
    services.close_follow_up(senior.follow_up, by=counsellor, reason="déménagement")
    client.force_login(counsellor)

    def names(**params):
        return [b.last_name for b in client.get(reverse("followup:beneficiaries"), params).context["rows"]]

    assert names() == ["Jeune"]  # open follow-ups by default
    assert names(statut="tous") == ["Jeune", "Senior"]
    assert names(statut="closed") == ["Senior"]
    assert names(statut="tous", age="jeunes") == ["Jeune"]
    assert names(statut="tous", age="seniors") == ["Senior"]
    assert names(statut="tous", qpv="QN09405M") == ["Jeune"]
    assert names(statut="tous", qpv="hors-qpv") == ["Senior"]
    assert names(statut="tous", frein="mobilite") == ["Jeune"]
    assert names(statut="tous", contact=7) == ["Jeune"]  # never contacted
    assert names(statut="tous", contact=1) == ["Jeune", "Senior"]


def test_the_list_is_paginated(client, counsellor):
    for i in range(25):
        followed_by(counsellor, last_name=f"Nom{i:02d}")
    client.force_login(counsellor)
    first = client.get(reverse("followup:beneficiaries"))
    assert len(first.context["rows"]) == 20 and first.context["count"] == 25
    second = client.get(reverse("followup:beneficiaries"), {"page": 2}).context
    assert len(second["rows"]) == 5 and second["count"] == 25 and second["page_obj"].number == 2
    past_the_end = client.get(reverse("followup:beneficiaries"), {"page": 9}).context
    assert past_the_end["page_obj"].number == 2 and len(past_the_end["rows"]) == 5
    assert past_the_end["count"] == 25
    not_a_number = client.get(reverse("followup:beneficiaries"), {"page": "dernière"}).context
    assert not_a_number["page_obj"].number == 1 and not_a_number["rows"][0].last_name == "Nom00"


def test_the_htmx_list_returns_the_rows_only(client, counsellor):
    followed_by(counsellor)
    client.force_login(counsellor)
    response = client.get(reverse("followup:beneficiaries"), HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"<table>" in response.content


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_constant_number_of_queries(client, counsellor, django_assert_max_num_queries, count):
    for i in range(count):
        b = followed_by(counsellor, last_name=f"Nom{i:02d}")
        services.add_barrier(b.follow_up, thematique="sante--acces-aux-soins", by=counsellor)
        services.add_entry(b.follow_up, kind="contact", text="", by=counsellor)
    client.force_login(counsellor)
    client.get(reverse("followup:beneficiaries"))  # warm the session and the caches
    with django_assert_max_num_queries(10):
        response = client.get(reverse("followup:beneficiaries"), {"statut": "tous", "contact": 0})
    assert response.context["count"] == count


# --- creation, duplicates, join requests --------------------------------------------------------


def test_create_a_person(client, counsellor):
    client.force_login(counsellor)
    assert client.get(reverse("followup:beneficiary_create")).status_code == 200
    response = client.post(
        reverse("followup:beneficiary_create"),
        {**NEW_PERSON, "qpv": QPV.objects.get(code="QN09405M", geography_year=2024).pk},
    )
    b = Beneficiary.objects.get()
    assert response.url == reverse("followup:beneficiary", args=[b.pk])
    assert b.qpv.code == "QN09405M" and b.in_perimeter and b.located_by == "manual"
    assert services.referent_of(b.follow_up).user == counsellor


def test_create_without_geocoder_never_fails(client, counsellor):
    client.force_login(counsellor)
    response = client.post(
        reverse("followup:beneficiary_create"),
        {**NEW_PERSON, "location_mode": "adresse", "address": "Place de l'Abbaye", "postcode": "94000"},
        follow=True,
    )
    assert response.status_code == 200
    assert "choisissez le quartier à la main" in response.content.decode()
    assert Beneficiary.objects.get().address == "Place de l'Abbaye"


def test_a_duplicate_shows_only_who_follows_the_person_then_the_join_request_flow(
    client, counsellor, django_capture_on_commit_callbacks
):
    existing = followed_by(
        counsellor, first_name="Éloïse", last_name="Dupont", birth_date=date(1990, 5, 17), phone="0611223344"
    )
    asker = member("counsellor")
    client.force_login(asker)
    response = client.post(reverse("followup:beneficiary_create"), {**NEW_PERSON, "last_name": "Dupond"})
    body = response.content.decode()
    org = existing.created_by_organisation.name
    assert f"Une personne correspondante est déjà suivie par {org}" in body
    assert "0611223344" not in body and reverse("followup:beneficiary", args=[existing.pk]) not in body
    assert Beneficiary.objects.count() == 1
    token = response.context["offers"][0]["form"].initial["token"]
    # A forged token is a 404.
    assert client.post(reverse("followup:join_request_create"), {"token": token + "x"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("followup:join_request_create"), {"token": token, "message": "Je la suis aussi."})
    join_request = JoinRequest.objects.get()
    assert join_request.requester == asker and mail.outbox[-1].to == [counsellor.email]
    assert client.get(reverse("followup:beneficiary", args=[existing.pk])).status_code == 404
    # The referent answers.
    client.force_login(counsellor)
    page = client.get(reverse("followup:join_requests")).content.decode()
    assert asker.get_full_name() in page and "Je la suis aussi." in page
    client.post(reverse("followup:join_request_answer", args=[join_request.pk]), {"decision": "accepter"})
    client.force_login(asker)
    assert client.get(reverse("followup:beneficiary", args=[existing.pk])).status_code == 200


def test_another_user_cannot_reuse_a_join_token(client, counsellor):
    followed_by(counsellor, first_name="Éloïse", last_name="Dupont", birth_date=date(1990, 5, 17))
    asker = member("counsellor")
    client.force_login(asker)
    token = (
        client.post(reverse("followup:beneficiary_create"), NEW_PERSON)
        .context["offers"][0]["form"]
        .initial["token"]
    )
    client.force_login(member("counsellor"))
    assert client.post(reverse("followup:join_request_create"), {"token": token}).status_code == 404


def test_the_user_may_say_it_is_someone_else(client, counsellor):
    followed_by(counsellor, first_name="Éloïse", last_name="Dupont", birth_date=date(1990, 5, 17))
    asker = member("counsellor")
    client.force_login(asker)
    response = client.post(reverse("followup:beneficiary_create"), {**NEW_PERSON, "confirm_different": "on"})
    assert response.status_code == 302 and Beneficiary.objects.count() == 2


# --- the person's page --------------------------------------------------------------------------


def test_the_detail_page(client, counsellor):
    b = followed_by(counsellor, consent=False)
    client.force_login(counsellor)
    body = client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    assert (
        b.first_name in body and "Pas de consentement en cours" in body and "référent·e de parcours" in body
    )


def test_organisation_notes_are_hidden_from_other_organisations(client, counsellor):
    b = followed_by(counsellor)
    guest = member("counsellor")
    add_member(b, guest)
    colleague = MembershipFactory(organisation=organisation_of(counsellor)).user
    add_member(b, colleague)
    client.force_login(counsellor)
    client.post(
        reverse("followup:entry_create", args=[b.pk]),
        {"kind": "note", "text": "Note interne à la structure", "visibility": "organisation"},
    )
    client.post(
        reverse("followup:entry_create", args=[b.pk]),
        {"kind": "rdv", "text": "Rendez-vous atelier CV", "visibility": "membres", "at": "2030-01-15T10:30"},
    )
    assert TimelineEvent.objects.filter(kind="rdv", at__year=2030).exists()
    client.force_login(guest)
    body = client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    assert "Rendez-vous atelier CV" in body and "Note interne à la structure" not in body
    assert "réservée à une autre organisation" in body
    export = client.get(reverse("followup:export_json", args=[b.pk])).json()
    assert "Note interne à la structure" not in str(export)
    client.force_login(colleague)
    assert (
        "Note interne à la structure"
        in client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    )


def _lines(person, by, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        services.add_entry(
            person.follow_up, kind="note", text=f"Ligne {i:03d}", by=by, at=now - timedelta(hours=i + 1)
        )


def _shown(body: str) -> list[str]:
    return re.findall(r"Ligne \d{3}", body)


def test_the_person_page_shows_the_latest_lines_and_loads_the_rest_on_demand(client, counsellor):
    b = followed_by(counsellor)
    _lines(b, counsellor, 70)
    total = TimelineEvent.objects.filter(follow_up=b.follow_up).count()  # with the follow-up's own lines
    client.force_login(counsellor)
    timeline = reverse("followup:timeline", args=[b.pk])
    body = client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    assert _shown(body) == [f"Ligne {i:03d}" for i in range(10)]
    older = total - 10
    assert f"Voir la suite du parcours ({older} lignes plus anciennes)" in body
    assert f'href="{timeline}?depuis=10"' in body and f'hx-get="{timeline}?depuis=10"' in body

    # htmx: the next 50 lines to append, focus on the first, and the next « Voir la suite » out of band.
    reads = AuditEntry.objects.filter(object_id=str(b.pk), action="read", detail__what="parcours")
    response = client.get(timeline, {"depuis": 10}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert "<html" not in fragment and "HX-Request" in response["Vary"]
    assert _shown(fragment) == [f"Ligne {i:03d}" for i in range(10, 60)]
    assert fragment.lstrip().startswith('<li class="fr-mb-2w" tabindex="-1" autofocus>')
    assert 'id="parcours-suite" hx-swap-oob="true"' in fragment and "?depuis=60" in fragment
    assert reads.count() == 1
    last = client.get(timeline, {"depuis": 60}, HTTP_HX_REQUEST="true").content.decode()
    assert _shown(last) == [f"Ligne {i:03d}" for i in range(60, 70)]
    assert 'id="parcours-suite" hx-swap-oob="true"' in last and "depuis=" not in last
    assert reads.count() == 2

    # Without JavaScript, the same link opens the lines as a page of their own.
    page = client.get(timeline, {"depuis": 10}).content.decode()
    assert "<h1>Parcours de " in page and "Revenir à la fiche" in page and '<ol start="11">' in page
    assert _shown(page) == [f"Ligne {i:03d}" for i in range(10, 60)]
    assert f'href="{timeline}?depuis=60"' in page
    assert reads.count() == 3


def test_the_rest_of_the_timeline_keeps_the_lines_of_another_organisation_hidden(client, counsellor):
    b = followed_by(counsellor)
    guest = member("counsellor")
    add_member(b, guest)
    _lines(b, counsellor, 12)
    services.add_entry(
        b.follow_up,
        kind="note",
        text="Note interne à la structure",
        visibility="organisation",
        by=counsellor,
        at=timezone.now() - timedelta(days=30),
    )
    client.force_login(guest)
    body = client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    assert "1 note réservée à une autre organisation" in body
    rest = client.get(reverse("followup:timeline", args=[b.pk]), {"depuis": 10}, HTTP_HX_REQUEST="true")
    assert "Note interne à la structure" not in rest.content.decode()
    client.force_login(counsellor)
    rest = client.get(reverse("followup:timeline", args=[b.pk]), {"depuis": 10}, HTTP_HX_REQUEST="true")
    assert "Note interne à la structure" in rest.content.decode()


@pytest.mark.parametrize("start", ["abc", "-5", "", "99999999999999999999999", "1e3"])
def test_any_start_of_the_timeline_answers_a_page(client, counsellor, start):
    b = followed_by(counsellor)
    _lines(b, counsellor, 3)
    client.force_login(counsellor)
    response = client.get(reverse("followup:timeline", args=[b.pk]), {"depuis": start})
    assert response.status_code == 200


def test_the_timeline_is_read_only(client, counsellor):
    b = followed_by(counsellor)
    client.force_login(counsellor)
    assert client.post(reverse("followup:timeline", args=[b.pk])).status_code == 405


def test_a_short_timeline_has_no_more_to_show(client, counsellor):
    b = followed_by(counsellor)
    _lines(b, counsellor, 2)
    client.force_login(counsellor)
    body = client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()
    assert "Ligne 001" in body and "Voir la suite du parcours" not in body


def test_the_edit_form_refuses_a_stale_version(client, counsellor):
    b = followed_by(counsellor)
    colleague = MembershipFactory(organisation=organisation_of(counsellor)).user
    add_member(b, colleague)
    client.force_login(counsellor)
    form = client.get(reverse("followup:beneficiary_edit", args=[b.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "birth_date": b.birth_date.isoformat(),
            "location_mode": "quartier",
            "version": b.version,
            "phone": "0102030405",
        }
    )
    services.update_beneficiary(b, by=colleague, data={"phone": "0699999999"}, expected_version=b.version)
    response = client.post(reverse("followup:beneficiary_edit", args=[b.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Cette fiche a été modifiée par {colleague.get_full_name()} le" in body
    assert "vos changements n&#x27;ont pas été enregistrés, rechargez la page" in body
    b.refresh_from_db()
    assert b.phone == "0699999999"
    data["version"] = b.version
    assert client.post(reverse("followup:beneficiary_edit", args=[b.pk]), data).status_code == 302
    b.refresh_from_db()
    assert b.phone == "0102030405"


def test_inviting_another_organisation_without_consent_is_refused_in_french(client, counsellor):
    b = followed_by(counsellor, consent=False)
    guest = member("counsellor")
    client.force_login(counsellor)
    form = client.get(reverse("followup:member_invite", args=[b.pk])).context["form"]
    choice = next(k for k, m in form.memberships.items() if m.user == guest)
    response = client.post(reverse("followup:member_invite", args=[b.pk]), {"membership": choice})
    assert "Sans consentement enregistré" in response.content.decode()
    assert services.member_of(b.follow_up, guest) is None


def test_consent_upload_and_download(client, counsellor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    b = followed_by(counsellor, consent=False)
    client.force_login(counsellor)
    url = reverse("followup:consent_create", args=[b.pk])
    bad = SimpleUploadedFile("scan.gif", b"GIF89a", content_type="image/gif")
    response = client.post(
        url,
        {"given_on": timezone.localdate().isoformat(), "scope": "suivi", "confirm": "on", "document": bad},
    )
    assert "PDF, JPEG ou PNG" in response.content.decode()
    good = SimpleUploadedFile("scan.jpg", b"\xff\xd8\xff\xe0 data", content_type="image/jpeg")
    response = client.post(
        url,
        {"given_on": timezone.localdate().isoformat(), "scope": "suivi", "confirm": "on", "document": good},
    )
    assert response.status_code == 302
    consent = b.consents.get()
    download = client.get(reverse("followup:consent_document", args=[b.pk, consent.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xff\xd8\xff")


def test_withdraw_consent_page(client, counsellor):
    b = followed_by(counsellor)
    guest = member("counsellor")
    add_member(b, guest)
    client.force_login(counsellor)
    client.post(reverse("followup:consent_withdraw", args=[b.pk]), {"confirm": "on"})
    client.force_login(guest)
    assert client.get(reverse("followup:beneficiary", args=[b.pk])).status_code == 404


def test_leave_close_and_reopen(client, counsellor):
    b = followed_by(counsellor)
    me = b.follow_up.members.get()
    client.force_login(counsellor)
    response = client.post(reverse("followup:member_end", args=[b.pk, me.pk]), {"reason": "départ"})
    assert "Dernier membre du suivi" in response.content.decode()
    client.post(
        reverse("followup:follow_up_close", args=[b.pk]),
        {"closed_on": timezone.localdate().isoformat(), "reason": "emploi"},
    )
    assert FollowUp.objects.get().status == "closed"
    client.post(reverse("followup:follow_up_reopen", args=[b.pk]))
    assert FollowUp.objects.get().status == "open"


def test_barrier_pages(client, counsellor):
    b = followed_by(counsellor)
    client.force_login(counsellor)
    thematique = "logement-hebergement--louer-un-logement"
    client.post(
        reverse("followup:barrier_create", args=[b.pk]),
        {"thematique": thematique, "identified_on": timezone.localdate().isoformat()},
    )
    barrier = b.follow_up.barriers.get()
    assert barrier.category == "logement-hebergement"
    page = client.get(reverse("followup:barrier_status", args=[b.pk, barrier.pk]))
    assert [c for c, _ in page.context["form"].fields["status"].choices] == ["in_progress"]
    client.post(
        reverse("followup:barrier_status", args=[b.pk, barrier.pk]),
        {"status": "in_progress", "on": timezone.localdate().isoformat()},
    )
    barrier.refresh_from_db()
    assert barrier.status == "in_progress"


def test_rome_search_json_and_htmx(client, counsellor):
    client.force_login(counsellor)
    data = client.get(reverse("followup:rome_search"), {"q": "boulangere"}).json()["resultats"]
    assert data and all("oulang" in r["libelle"].lower() for r in data)
    fragment = client.get(reverse("followup:rome_search"), {"metier": "boulanger"}, HTTP_HX_REQUEST="true")
    assert b'name="target_jobs"' in fragment.content and b"<html" not in fragment.content
    code = client.get(reverse("followup:rome_search"), {"q": "D1102"}).json()["resultats"]
    assert code and all(r["code_rome"] == "D1102" for r in code)


def test_project_page_search_and_save(client, counsellor):
    b = followed_by(counsellor)
    client.force_login(counsellor)
    page = client.get(reverse("followup:project_edit", args=[b.pk]), {"metier": "aide a domicile"})
    found = page.context["found"]
    assert found
    response = client.post(
        reverse("followup:project_edit", args=[b.pk]),
        {
            "target_jobs": [found[0].code],
            "contracts": ["cdi"],
            "mobility_km": "15",
            "has_driving_licence": "on",
        },
    )
    assert response.status_code == 302
    project = b.follow_up.project
    assert list(project.target_jobs.all()) == [RomeAppellation.objects.get(code=found[0].code)]
    assert project.has_driving_licence and project.mobility_km == 15


def test_outcome_page(client, counsellor):
    b = followed_by(counsellor)
    client.force_login(counsellor)
    url = reverse("followup:outcome_create", args=[b.pk])
    today = timezone.localdate().isoformat()
    response = client.post(url, {"kind": "emploi-durable", "contract": "interim", "occurred_on": today})
    assert "Choisissez parmi" in response.content.decode()
    assert (
        client.post(url, {"kind": "emploi-durable", "contract": "cdi", "occurred_on": today}).status_code
        == 302
    )
    assert "Emploi durable" in client.get(reverse("followup:beneficiary", args=[b.pk])).content.decode()


def test_exports(client, counsellor):
    b = followed_by(counsellor, first_name="Éloïse")
    barrier = services.add_barrier(b.follow_up, thematique="sante--acces-aux-soins", by=counsellor)
    services.change_barrier_status(barrier, "in_progress", by=counsellor)
    client.force_login(counsellor)
    response = client.get(reverse("followup:export_json", args=[b.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    data = response.json()
    assert data["identite"]["prenom"] == "Éloïse" and data["freins"][0]["categorie"]
    # The right of access covers the barrier's whole history, not only its status of today.
    assert [c["statut"] for c in data["freins"][0]["historique"]] == ["Identifié", "En cours de levée"]
    pdf = client.get(reverse("followup:export_pdf", args=[b.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_erase_page_needs_confirmation(client, counsellor):
    b = followed_by(counsellor)
    client.force_login(counsellor)
    url = reverse("followup:erase", args=[b.pk])
    assert client.post(url, {"mode": "anonymiser"}).status_code == 200  # not confirmed
    assert Beneficiary.objects.get().anonymised_at is None
    assert client.post(url, {"mode": "anonymiser", "confirm": "on"}).status_code == 302
    assert Beneficiary.objects.get().anonymised_at is not None
    assert client.get(reverse("followup:beneficiary", args=[b.pk])).status_code == 404
