"""The diagnostic's pages: figures under secrecy, places of the territory only, no person, constant queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cite_emploi.territory.models import Commune
from tests.accounts.factories import member
from tests.followup.factories import followed_by
from tests.outreach.factories import qpv

PAGES = (
    "/diagnostic/",
    "/diagnostic/qpv/QN09405M/",
    "/diagnostic/communes/94028/",
    "/diagnostic/besoins/",
    "/diagnostic/besoins.csv",
    "/diagnostic/indicateurs/",
    "/diagnostic/indicateurs/beneficiaires_suivis.csv?par=qpv",
)


def people_in_mont_mesly(count: int, referent=None, **fields):
    referent = referent or member("counsellor")
    quartier = qpv("QN09405M")
    creteil = Commune.objects.get(code="94028")
    opened = timezone.localdate() - timedelta(days=30)
    people = []
    for _ in range(count):
        person = followed_by(referent, commune=creteil, qpv=quartier, in_perimeter=True, **fields)
        person.follow_up.opened_on = opened
        person.follow_up.save(update_fields=["opened_on"])
        people.append(person)
    return people


def row_of(body: str, label: str) -> str:
    start = body.index(f'<th scope="row">{label}')
    return body[start : body.index("</tr>", start)]


@pytest.mark.parametrize("role", ["coordinator", "elected", "funder"])
def test_every_page_answers_and_shows_no_name(client, db, role):
    people_in_mont_mesly(6, first_name="Zéphyrine", last_name="Quintavalle")
    client.force_login(member(role))
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "Quintavalle" not in body and "Zéphyrine" not in body, path
        assert "/suivi/beneficiaires/" not in body, path


def test_the_overview_counts_people_by_qpv_and_hides_small_groups(client, db, settings):
    settings.SECRECY_THRESHOLD = 5
    people_in_mont_mesly(6)
    referent = member("counsellor")
    followed_by(
        referent, commune=Commune.objects.get(code="94004"), qpv=qpv("QN09420M"), in_perimeter=True
    )  # Bonneuil, Fabien: one person
    client.force_login(member("coordinator"))
    body = client.get("/diagnostic/").content.decode()
    # One person in Fabien is secret; with the total (7), Mont Mesly's 6 would give it away: hidden too.
    assert "secret" in row_of(body, "Fabien")
    assert "secret" in row_of(body, "Mont Mesly")
    assert ">7<" in row_of(body, "Total")


def test_the_qpv_page_compares_with_its_commune_and_the_territory(client, db, settings):
    settings.SECRECY_THRESHOLD = 1
    people_in_mont_mesly(3)
    followed_by(member("counsellor"), commune=Commune.objects.get(code="94028"))  # Créteil, outside any QPV
    client.force_login(member("coordinator"))
    body = client.get("/diagnostic/qpv/QN09405M/").content.decode()
    row = row_of(body, "Personnes suivies")
    cells = [part.split("<")[0] for part in row.split('class="diagnostic-number">')[1:]]
    assert cells == ["3", "4", "4"]


def test_a_place_outside_the_territory_is_a_404(client, db, other_territory):
    client.force_login(member("coordinator"))
    assert client.get("/diagnostic/qpv/QN75001M/").status_code == 404
    assert client.get("/diagnostic/communes/75056/").status_code == 404
    client.force_login(member("coordinator", territory=other_territory))
    assert client.get("/diagnostic/qpv/QN09405M/").status_code == 404
    assert client.get("/diagnostic/communes/94028/").status_code == 404


def test_the_date_moves_the_period(client, db, settings):
    settings.SECRECY_THRESHOLD = 1
    people_in_mont_mesly(2)
    client.force_login(member("coordinator"))
    last_year = (timezone.localdate() - timedelta(days=400)).isoformat()
    body = client.get(f"/diagnostic/?date={last_year}").content.decode()
    assert ">0<" in row_of(body, "Mont Mesly")
    body = client.get("/diagnostic/?date=pas-une-date").content.decode()
    assert ">2<" in row_of(body, "Mont Mesly")  # a wrong date falls back to today


def test_indicator_export(client, db, settings):
    settings.SECRECY_THRESHOLD = 1
    people_in_mont_mesly(2)
    client.force_login(member("funder"))
    response = client.get("/diagnostic/indicateurs/beneficiaires_suivis.csv?par=qpv")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "QN09405M;Mont Mesly - La Habette - Coteaux Du Sud;2" in text
    assert "Ensemble du territoire;2" in text
    assert client.get("/diagnostic/indicateurs/inconnu.csv").status_code == 404
    # A breakdown the indicator does not have gives the total only.
    text = client.get("/diagnostic/indicateurs/population.csv?par=sex").content.decode("utf-8-sig")
    assert "Ensemble du territoire" in text


def test_the_overview_runs_the_same_queries_whatever_the_data(client, db):
    from django.core.cache import cache

    coordinator = member("coordinator")
    client.force_login(coordinator)
    counts = []
    for size in (2, 20):
        people_in_mont_mesly(size)
        cache.clear()  # the figures, the coverage matrix and the places are computed again
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/diagnostic/").status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_the_overview_is_served_from_the_cache_for_a_few_minutes(client, db, settings):
    from django.core.cache import cache

    settings.SECRECY_THRESHOLD = 1
    people_in_mont_mesly(2)
    client.force_login(member("coordinator"))
    assert ">2<" in row_of(client.get("/diagnostic/").content.decode(), "Mont Mesly")
    people_in_mont_mesly(1)
    body = client.get("/diagnostic/").content.decode()
    assert ">2<" in row_of(body, "Mont Mesly") and "Chiffres calculés le" in body
    cache.clear()
    assert ">3<" in row_of(client.get("/diagnostic/").content.decode(), "Mont Mesly")


def test_the_gap_list_exports_as_csv(client, db):
    client.force_login(member("coordinator"))
    response = client.get(f"/diagnostic/besoins.csv?date={date.today().isoformat()}")
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith(
        "rang;niveau;code QPV;quartier;catégorie;score;éléments"
    )
