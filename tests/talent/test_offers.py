"""Writing a job offer: one function for employers' pages, recruitment events and the demo."""

import pytest

from cite_emploi.core.models import AuditEntry
from cite_emploi.talent import offers
from cite_emploi.talent.models import JobOffer
from cite_emploi.territory.centres import commune_centre
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory
from tests.talent.factories import appellation, commune

pytestmark = pytest.mark.django_db


def _data(**overrides):
    return {
        "title": "  Préparateur de commandes (H/F) ",
        "appellation": appellation("17993"),
        "contract": "cdi",
        "hours_per_week": 35,
        "posts": 2,
        "skills": ["CACES 1", " caces  1", "", "Lecture de bons"],
        "commune": commune("94011"),
    } | overrides


def test_an_employer_publishes_an_offer_placed_at_its_commune_with_its_rome_code():
    employer = OrganisationFactory(kind="employeur")
    user = member("employer")
    offer = offers.save_offer(organisation=employer, by=user, data=_data())
    offer.refresh_from_db()
    assert offer.title == "Préparateur de commandes (H/F)"
    assert offer.rome_code == "N1103" and offer.status == JobOffer.Status.OPEN
    assert offer.skills == ["CACES 1", "Lecture de bons"]
    assert (offer.latitude, offer.longitude) == commune_centre(commune("94011"))
    assert offer.territory_id == employer.territory_id and offer.reference.startswith("OF-")
    assert AuditEntry.objects.filter(
        object_type="talent.joboffer", object_id=str(offer.pk), action="create"
    ).exists()


def test_an_update_keeps_what_is_not_given_and_follows_a_new_appellation():
    employer = OrganisationFactory(kind="employeur")
    offer = offers.save_offer(organisation=employer, by=None, data=_data())
    offers.save_offer(
        organisation=employer,
        by=None,
        offer=offer,
        data={"appellation": appellation("11573"), "commune": None},
    )
    offer.refresh_from_db()
    assert offer.rome_code == "D1102" and offer.posts == 2 and offer.latitude is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": " "}, "intitulé"),
        ({"appellation": None}, "ROME"),
        ({"contract": "stage"}, "contrat"),
        ({"hours_per_week": 60}, "entre 1 et 48 heures"),
        ({"posts": 0}, "nombre de postes"),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_is_written(overrides, message):
    employer = OrganisationFactory(kind="employeur")
    with pytest.raises(offers.OfferError, match=message):
        offers.save_offer(organisation=employer, by=None, data=_data(**overrides))
    assert not JobOffer.objects.exists()


def test_only_an_employer_organisation_publishes_offers():
    with pytest.raises(offers.OfferError, match="Employeur"):
        offers.save_offer(organisation=OrganisationFactory(kind="association"), by=None, data=_data())


def test_a_commune_without_outline_has_no_centre():
    from cite_emploi.territory.models import Commune

    outside = Commune.objects.filter(geometry__isnull=True).first()
    assert outside is not None and commune_centre(outside) is None
    assert commune_centre(None) is None
