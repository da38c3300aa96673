"""The rules of the shared follow-up, tested on the services (the only place that writes)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import services
from cite_emploi.followup.models import (
    Barrier,
    Beneficiary,
    FollowUp,
    FollowUpMember,
    LocatedBy,
    Outcome,
    TimelineEvent,
)
from cite_emploi.territory.models import QPV, Commune, RomeAppellation
from tests.accounts.factories import MembershipFactory, member
from tests.followup.factories import add_member, followed_by, organisation_of

IDENTITY = {"first_name": "Éloïse", "last_name": "Dupont", "birth_date": date(1990, 5, 17), "sex": "F"}


def colleague_of(user, role="counsellor"):
    return MembershipFactory(organisation=organisation_of(user), role=role).user


def create(user, **fields):
    org = organisation_of(user)
    return services.create_beneficiary(
        territory=org.territory, organisation=org, by=user, data={**IDENTITY, **fields}
    )


# --- creation, duplicates, location ------------------------------------------------------------


def test_creating_a_person_opens_a_follow_up_with_the_creator_as_referent(db):
    user = member("counsellor")
    b = create(user, france_travail_id="12 34 567a")
    assert b.follow_up.status == FollowUp.Status.OPEN
    assert b.follow_up.members.get().user == user and b.follow_up.members.get().is_referent
    assert b.france_travail_id == "1234567A"
    assert b.search_name == "eloise dupont"
    assert b.age_group in ("adultes", "jeunes")
    assert AuditEntry.objects.filter(action="create", object_id=str(b.pk), actor=user).exists()


def test_a_duplicate_is_refused_unless_the_user_says_it_is_someone_else(db):
    first = create(member("counsellor"))
    other = member("counsellor")
    with pytest.raises(services.DuplicateSuspected) as caught:
        create(other, first_name="Eloise", last_name="Dupond")
    assert [m.beneficiary for m in caught.value.matches] == [first]
    second = services.create_beneficiary(
        territory=first.territory,
        organisation=organisation_of(other),
        by=other,
        data={**IDENTITY, "first_name": "Eloise"},
        allow_duplicate=True,
    )
    entry = AuditEntry.objects.get(action="create", object_id=str(second.pk))
    assert entry.detail["duplicate_override"] == [first.pk]


def test_location_by_hand_sets_the_qpv_and_the_perimeter(gpsea):
    qpv = QPV.objects.get(code="QN09405M", geography_year=2024)
    location = services.locate_by_hand(gpsea, qpv, None)
    assert location.commune.code == "94028" and location.in_perimeter
    assert location.located_by == LocatedBy.MANUAL
    outside = services.locate_by_hand(gpsea, None, Commune.objects.get(code="94028"))
    assert outside.qpv is None and not outside.in_perimeter


def test_location_of_a_point(gpsea):
    location = services.locate_at(gpsea, 2.4698, 48.7771)  # Mont-Mesly, Créteil
    assert location.qpv.code == "QN09405M" and location.in_perimeter
    assert location.located_by == LocatedBy.MAP


def test_without_geocoder_the_address_is_kept_and_the_user_warned(gpsea):
    location = services.resolve_location(gpsea, mode="adresse", address="Place de l'Abbaye", postcode="94000")
    assert location.qpv is None and location.located_by == LocatedBy.NONE
    assert "à la main" in location.warning


def test_the_geocoder_situates_the_address(gpsea, fake_geocoder):
    location = services.resolve_location(gpsea, mode="adresse", address="Place de l'Abbaye", postcode="94000")
    assert location.qpv.code == "QN09405M" and location.in_perimeter
    assert location.located_by == LocatedBy.GEOCODER and location.commune.code == "94028"


def test_a_geocoder_failure_is_a_warning_never_an_error(gpsea, fake_geocoder):
    fake_geocoder.fail_first(10, status=503)
    location = services.resolve_location(gpsea, mode="adresse", address="Place de l'Abbaye", postcode="94000")
    assert location.qpv is None and location.warning


# --- optimistic locking -------------------------------------------------------------------------


def test_an_edit_based_on_an_old_version_is_refused(db):
    user = member("counsellor")
    b = followed_by(user)
    colleague = colleague_of(user)
    add_member(b, colleague)
    services.update_beneficiary(b, by=colleague, data={"phone": "0601020304"}, expected_version=1)
    with pytest.raises(services.StaleVersion) as caught:
        services.update_beneficiary(b, by=user, data={"phone": "0700000000"}, expected_version=1)
    assert f"modifiée par {colleague.get_full_name()}" in caught.value.message
    assert "vos changements n'ont pas été enregistrés, rechargez la page" in caught.value.message
    b.refresh_from_db()
    assert b.phone == "0601020304" and b.version == 2
    entry = AuditEntry.objects.filter(action="update", object_id=str(b.pk)).latest("at")
    assert entry.detail["fields"] == ["phone"]  # field names, never values


# --- consent and members ------------------------------------------------------------------------


def test_without_consent_the_record_stays_inside_the_organisation(db):
    referent = member("counsellor")
    b = followed_by(referent, consent=False)
    outsider = member("counsellor")
    with pytest.raises(services.ConsentRequired) as caught:
        services.invite_member(
            b.follow_up, user=outsider, organisation=organisation_of(outsider), by=referent
        )
    assert "Sans consentement" in caught.value.message
    # A colleague of the same organisation may join.
    services.invite_member(
        b.follow_up, user=colleague_of(referent), organisation=organisation_of(referent), by=referent
    )


def test_with_consent_a_professional_of_another_organisation_is_invited_and_told(
    db, django_capture_on_commit_callbacks
):
    referent = member("counsellor")
    b = followed_by(referent, consent=False)
    services.record_consent(b, by=referent, given_on=timezone.localdate())
    guest = member("counsellor")
    with django_capture_on_commit_callbacks(execute=True):
        added = services.invite_member(
            b.follow_up, user=guest, organisation=organisation_of(guest), by=referent
        )
    assert not added.is_referent
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [guest.email]
    assert b.first_name not in mail.outbox[0].body and b.last_name not in mail.outbox[0].body
    with pytest.raises(services.FollowUpError):
        services.invite_member(b.follow_up, user=guest, organisation=organisation_of(guest), by=referent)


def test_only_active_professionals_of_the_territory_can_be_invited(db, other_territory):
    referent = member("counsellor")
    b = followed_by(referent)
    for user in (member("elected"), member("counsellor", territory=other_territory)):
        with pytest.raises(services.FollowUpError):
            services.invite_member(b.follow_up, user=user, organisation=organisation_of(user), by=referent)


def test_withdrawing_consent_ends_the_other_organisations(db):
    referent = member("counsellor")
    b = followed_by(referent)
    guest = member("counsellor")
    add_member(b, guest)
    colleague = colleague_of(referent)
    add_member(b, colleague)
    ended = services.withdraw_consent(b, by=referent)
    assert [m.user for m in ended] == [guest]
    membership = FollowUpMember.objects.get(user=guest)
    assert membership.ended_on == timezone.localdate() and membership.end_reason == "retrait du consentement"
    assert FollowUpMember.objects.get(user=colleague).ended_on is None
    assert not services.has_active_consent(b)
    with pytest.raises(services.ConsentRequired):
        services.invite_member(b.follow_up, user=guest, organisation=organisation_of(guest), by=referent)


def test_withdrawal_recorded_by_another_organisation_keeps_the_record_there(db):
    referent = member("counsellor")
    b = followed_by(referent)
    guest = member("counsellor")
    add_member(b, guest)
    services.withdraw_consent(b, by=guest)
    b.refresh_from_db()
    assert b.created_by_organisation == organisation_of(guest)
    assert services.referent_of(b.follow_up).user == guest


def test_consent_document_must_be_a_small_pdf_jpeg_or_png(db):
    ok = SimpleUploadedFile("scan.PDF", b"%PDF-1.4 rest", content_type="application/pdf")
    assert services.check_consent_document(ok) == ".pdf"
    for bad in (
        SimpleUploadedFile("scan.docx", b"PK\x03\x04", content_type="application/msword"),
        SimpleUploadedFile("scan.png", b"%PDF-1.4", content_type="image/png"),  # content says otherwise
        SimpleUploadedFile("scan.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), content_type="image/jpeg"),
    ):
        with pytest.raises(services.FollowUpError):
            services.check_consent_document(bad)


def test_the_stored_consent_form_does_not_carry_the_uploaded_name(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    referent = member("counsellor")
    b = followed_by(referent, consent=False)
    upload = SimpleUploadedFile(
        "consentement Éloïse Dupont.png", b"\x89PNG\r\n\x1a\nrest", content_type="image/png"
    )
    consent = services.record_consent(b, by=referent, given_on=timezone.localdate(), document=upload)
    assert "Dupont" not in consent.document.name and consent.document.name.endswith(".png")


def test_exactly_one_referent_and_transfer(db):
    referent = member("counsellor")
    b = followed_by(referent)
    guest = member("counsellor")
    guest_member = add_member(b, guest)
    with pytest.raises(services.FollowUpError):
        services.transfer_referent(b.follow_up, to=guest_member, by=guest)  # only the referent hands over
    services.transfer_referent(b.follow_up, to=guest_member, by=referent)
    assert services.referent_of(b.follow_up).user == guest
    assert b.follow_up.members.filter(is_referent=True, ended_on__isnull=True).count() == 1


def test_the_referent_names_a_successor_and_the_last_member_cannot_leave(db):
    referent = member("counsellor")
    b = followed_by(referent)
    me = b.follow_up.members.get(user=referent)
    with pytest.raises(services.FollowUpError, match="Dernier membre"):
        services.end_membership(me, by=referent)
    guest = member("counsellor")
    guest_member = add_member(b, guest)
    with pytest.raises(services.FollowUpError, match="nouvelle référente"):
        services.end_membership(me, by=referent)
    services.end_membership(me, by=referent, successor=guest_member, reason="mutation")
    assert services.referent_of(b.follow_up).user == guest
    # The last member of a closed follow-up may leave.
    services.close_follow_up(b.follow_up, by=guest, reason="emploi durable")
    services.end_membership(FollowUpMember.objects.get(user=guest, ended_on__isnull=True), by=guest)
    assert not b.follow_up.members.filter(ended_on__isnull=True).exists()


def test_a_member_leaves_without_formalities(db):
    referent = member("counsellor")
    b = followed_by(referent)
    guest = member("counsellor")
    guest_member = add_member(b, guest)
    services.end_membership(guest_member, by=guest)
    with pytest.raises(services.FollowUpError):
        services.end_membership(b.follow_up.members.get(user=referent), by=guest)  # no longer a member


# --- barriers, project, outcomes ----------------------------------------------------------------


def test_barriers_use_data_inclusion_thematiques_and_valid_transitions(db):
    referent = member("counsellor")
    b = followed_by(referent)
    barrier = services.add_barrier(
        b.follow_up, thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite", by=referent
    )
    assert barrier.category == "mobilite" and barrier.status == Barrier.Status.IDENTIFIED
    with pytest.raises(services.FollowUpError):
        services.add_barrier(b.follow_up, thematique="pas-une-thematique", by=referent)
    with pytest.raises(services.FollowUpError):
        services.add_barrier(b.follow_up, thematique=barrier.thematique, by=referent)
    with pytest.raises(services.InvalidTransition):
        services.change_barrier_status(barrier, Barrier.Status.LIFTED, by=referent)
    services.change_barrier_status(barrier, Barrier.Status.IN_PROGRESS, by=referent)
    services.change_barrier_status(barrier, Barrier.Status.LIFTED, by=referent)
    assert barrier.status == Barrier.Status.LIFTED and barrier.status_changed_on == timezone.localdate()
    texts = list(b.follow_up.events.filter(kind=TimelineEvent.Kind.BARRIER).values_list("text", flat=True))
    assert any("levé" in t for t in texts)


def test_professional_project(db):
    referent = member("counsellor")
    b = followed_by(referent)
    jobs = list(RomeAppellation.objects.order_by("code")[:2])
    project = services.save_project(
        b.follow_up,
        by=referent,
        target_jobs=jobs,
        contracts=["cdi", "interim"],
        mobility_km=20,
        has_driving_licence=True,
    )
    assert set(project.target_jobs.all()) == set(jobs) and project.contracts == ["cdi", "interim"]
    with pytest.raises(services.FollowUpError):
        services.save_project(b.follow_up, by=referent, contracts=["chomage"])


def test_outcome_contract_must_fit_its_kind(db):
    referent = member("counsellor")
    b = followed_by(referent)
    today = timezone.localdate()
    with pytest.raises(services.FollowUpError):
        services.record_outcome(
            b.follow_up, kind=Outcome.Kind.LASTING_JOB, contract="interim", occurred_on=today, by=referent
        )
    outcome = services.record_outcome(
        b.follow_up, kind=Outcome.Kind.TRANSITION_JOB, contract="interim", occurred_on=today, by=referent
    )
    assert outcome.contract == "interim"
    training = services.record_outcome(
        b.follow_up, kind=Outcome.Kind.TRAINING, contract="cdi", occurred_on=today, by=referent
    )
    assert training.contract == ""  # no contract for a training
    assert b.follow_up.events.filter(kind=TimelineEvent.Kind.OUTCOME).count() == 2


# --- timeline -----------------------------------------------------------------------------------


def test_add_timeline_event_bumps_the_last_activity(db):
    referent = member("counsellor")
    b = followed_by(referent)
    FollowUp.objects.filter(pk=b.follow_up.pk).update(last_activity_at=timezone.now() - timedelta(days=400))
    follow_up = FollowUp.objects.get(pk=b.follow_up.pk)
    event = services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.REFERRAL,
        author=referent,
        organisation=organisation_of(referent),
        text="Orientation envoyée.",
    )
    assert event.visibility == TimelineEvent.Visibility.MEMBERS
    follow_up.refresh_from_db()
    assert timezone.now() - follow_up.last_activity_at < timedelta(minutes=1)


def test_an_empty_note_is_refused(db):
    referent = member("counsellor")
    b = followed_by(referent)
    with pytest.raises(services.FollowUpError):
        services.add_entry(b.follow_up, kind="note", text="  ", by=referent)
    services.add_entry(b.follow_up, kind="contact", text="", by=referent)


# --- join requests ------------------------------------------------------------------------------


def test_join_request_accepted_by_the_referent(db, django_capture_on_commit_callbacks):
    referent = member("counsellor")
    b = followed_by(referent)
    asker = member("counsellor")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_to_join(
            b, by=asker, organisation=organisation_of(asker), message="Je la suis à la Mission locale."
        )
    assert mail.outbox[-1].to == [referent.email]
    with pytest.raises(services.FollowUpError):
        services.request_to_join(b, by=asker, organisation=organisation_of(asker))  # already pending
    with pytest.raises(services.FollowUpError):
        services.answer_join_request(request, by=asker, accept=True)  # not the referent
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_join_request(request, by=referent, accept=True)
    assert services.member_of(b.follow_up, asker) is not None
    assert mail.outbox[-1].to == [asker.email] and "acceptée" in mail.outbox[-1].subject


def test_join_request_needs_consent_for_another_organisation(db):
    referent = member("counsellor")
    b = followed_by(referent, consent=False)
    asker = member("counsellor")
    request = services.request_to_join(b, by=asker, organisation=organisation_of(asker))
    with pytest.raises(services.ConsentRequired):
        services.answer_join_request(request, by=referent, accept=True)
    request.refresh_from_db()
    assert request.status == "pending"
    services.answer_join_request(request, by=referent, accept=False)
    assert services.member_of(b.follow_up, asker) is None


# --- erasure ------------------------------------------------------------------------------------


def test_anonymisation_keeps_statistics_and_drops_the_person(db):
    referent = member("counsellor")
    b = followed_by(referent, phone="0601020304", france_travail_id="1234567A", birth_date=date(1985, 11, 3))
    services.add_entry(b.follow_up, kind="note", text="Habite chez sa sœur.", by=referent)
    services.add_barrier(
        b.follow_up,
        thematique="mobilite--etre-accompagne-dans-son-parcours-mobilite",
        by=referent,
        notes="Pas de permis",
    )
    with pytest.raises(services.FollowUpError):
        services.anonymise_beneficiary(b, by=add_member(b, member("counsellor")).user)  # only the referent
    services.anonymise_beneficiary(b, by=referent)
    b.refresh_from_db()
    assert b.anonymised_at and b.first_name == "Personne" and b.phone == "" and b.france_travail_id == ""
    assert b.birth_date == date(1985, 7, 1) and b.sex == "F"
    assert not b.follow_up.events.exclude(text="").exists()
    assert b.follow_up.barriers.get().notes == "" and b.follow_up.barriers.count() == 1
    assert b.follow_up.status == FollowUp.Status.CLOSED
    assert not b.follow_up.members.filter(ended_on__isnull=True).exists()


def test_deletion_leaves_only_the_audit_trail(db):
    referent = member("counsellor")
    b = followed_by(referent)
    pk = b.pk
    services.delete_beneficiary(b, by=referent)
    assert not Beneficiary.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(pk), actor=referent).exists()
