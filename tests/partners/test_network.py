"""The partnership network: edges in force, deterministic circle layout, accessible SVG."""

import math
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from cite_emploi.partners.models import OrganisationKind, Partnership
from cite_emploi.partners.network import (
    FLOW,
    LABEL_SPACE,
    MARGIN,
    Flow,
    build_network,
    referral_flows,
    render_svg,
)
from tests.partners.factories import OrganisationFactory, PartnershipFactory

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def partners(gpsea):
    ft = OrganisationFactory(name="France Travail Créteil", kind=OrganisationKind.FRANCE_TRAVAIL)
    ml = OrganisationFactory(name="Mission locale", kind=OrganisationKind.MISSION_LOCALE)
    asso = OrganisationFactory(name="Association <Élan> & co", kind=OrganisationKind.ASSOCIATION)
    alone = OrganisationFactory(name="Sans partenaire")
    PartnershipFactory(source=ft, target=ml, kind=Partnership.Kind.CONVENTION, started_on=date(2022, 1, 1))
    PartnershipFactory(source=ml, target=ft, kind=Partnership.Kind.REFERRALS)
    PartnershipFactory(
        source=asso, target=ml, kind=Partnership.Kind.PERMANENCE, description="Permanence du mardi"
    )
    PartnershipFactory(
        source=asso, target=ft, kind=Partnership.Kind.CO_ANIMATION, ended_on=date.today() - timedelta(days=1)
    )
    return {"ft": ft, "ml": ml, "asso": asso, "alone": alone}


def test_edges_are_the_partnerships_in_force(gpsea, partners, other_territory):
    other = OrganisationFactory(territory=other_territory)
    PartnershipFactory(source=other, target=OrganisationFactory(territory=other_territory))
    network = build_network(gpsea)
    edges = {(e.source.name, e.target.name, e.kind) for e in network.edges}
    assert edges == {
        ("France Travail Créteil", "Mission locale", "convention"),
        ("Mission locale", "France Travail Créteil", "orientations"),
        ("Association <Élan> & co", "Mission locale", "permanence"),
    }
    assert [o.name for o in network.without_partnership] == ["Sans partenaire"]
    since = next(e.since for e in network.edges if e.kind == "convention")
    assert since == date(2022, 1, 1)


def test_filter_by_kind(gpsea, partners):
    network = build_network(gpsea, kinds=(Partnership.Kind.PERMANENCE,))
    assert [(e.source.name, e.target.name) for e in network.edges] == [
        ("Association <Élan> & co", "Mission locale")
    ]
    assert {n.name for n in network.nodes} == {"Association <Élan> & co", "Mission locale"}


def test_layout_is_a_circle_grouped_by_kind_and_deterministic(gpsea, partners):
    first, second = build_network(gpsea), build_network(gpsea)
    assert [(n.pk, n.x, n.y) for n in first.nodes] == [(n.pk, n.x, n.y) for n in second.nodes]
    # Kinds in the order of OrganisationKind: France Travail, Mission locale, then associations.
    assert [n.kind for n in first.nodes] == ["france-travail", "mission-locale", "association"]
    radius = 150  # the smallest circle
    cx, cy = LABEL_SPACE + radius + MARGIN, radius + MARGIN + 20
    assert {round(math.hypot(n.x - cx, n.y - cy), 6) for n in first.nodes} == {radius}
    assert (first.nodes[0].x, first.nodes[0].y) == pytest.approx((cx, cy - radius))  # the first at the top
    assert first.height > first.legend_y > 2 * radius
    # Two edges between the same pair are drawn apart.
    pair = [
        e.path
        for e in first.edges
        if {e.source.name, e.target.name} == {"France Travail Créteil", "Mission locale"}
    ]
    assert len(pair) == 2 and pair[0] != pair[1]


def test_referral_flows_are_counted_from_sent_referrals_under_secrecy(gpsea, other_territory, settings):
    from cite_emploi.followup.models import Referral
    from tests.accounts.factories import member
    from tests.followup.factories import followed_by, organisation_of
    from tests.partners.factories import saved_service

    settings.SECRECY_THRESHOLD = 3
    counsellor = member("counsellor", territory=gpsea)
    sender = organisation_of(counsellor)
    big, small = OrganisationFactory(name="Reçoit beaucoup"), OrganisationFactory(name="Reçoit peu")
    elsewhere = OrganisationFactory(territory=other_territory)
    assert referral_flows(gpsea) == []

    def send(to, status=Referral.Status.SENT, sent_on=date(2026, 3, 2), count=1):
        service = saved_service(organisation=to) if to.territory_id == gpsea.pk else None
        for _ in range(count):
            Referral.objects.create(
                follow_up=followed_by(counsellor).follow_up,
                service=service or saved_service(organisation=big),
                sender=counsellor,
                sender_organisation=sender,
                receiving_organisation=to,
                status=status,
                sent_at=None if status == Referral.Status.DRAFT else f"{sent_on}T10:00:00+01:00",
            )

    send(big, count=2)
    send(big, status=Referral.Status.REFUSED, sent_on=date(2026, 6, 1))
    send(big, status=Referral.Status.DRAFT, count=3)  # never sent: not a flow
    send(small, count=2)  # below the threshold
    send(sender, count=4)  # inside one organisation
    send(elsewhere, count=4)  # another territory
    assert referral_flows(gpsea) == [Flow(sender.pk, big.pk, 3)]
    assert referral_flows(gpsea, since=date(2026, 5, 1)) == []
    flow = next(e for e in build_network(gpsea).edges if e.kind == FLOW)
    assert (flow.source.pk, flow.target.name, flow.count) == (sender.pk, "Reçoit beaucoup", 3)


def test_referral_flows_are_drawn(gpsea, partners):
    network = build_network(gpsea, flows=[Flow(partners["ml"].pk, partners["asso"].pk, 12)])
    flow = next(e for e in network.edges if e.kind == FLOW)
    assert (flow.source.name, flow.target.name, flow.count) == (
        "Mission locale",
        "Association <Élan> & co",
        12,
    )
    assert flow.width > 4
    assert [e.kind for e in build_network(gpsea, kinds=("convention",), flows=[Flow(1, 2, 3)]).edges] == [
        "convention"
    ]


def test_svg_is_valid_accessible_and_escaped(gpsea, partners):
    svg = render_svg(build_network(gpsea))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Réseau des partenaires"
    assert "Association <Élan> & co" in ET.tostring(root, encoding="unicode").replace("&lt;", "<").replace(
        "&gt;", ">"
    ).replace("&amp;", "&")
    assert "<Élan>" not in svg  # escaped in the markup
    paths = root.findall(f".//{SVG}g[@class='cite-network__edges']/{SVG}path")
    assert len(paths) == 3
    assert {p.get("stroke-dasharray") for p in paths} == {None, "12 4 3 4", "2 4"}
    legend = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for label in (
        "Convention de partenariat",
        "Orientations réciproques",
        "Accueil d'une permanence",
        "Légende",
    ):
        assert label in legend
    assert "," not in root.find(f".//{SVG}circle").get("cx")  # numbers are not localised


def test_queries_do_not_grow_with_the_network(gpsea, partners, django_assert_num_queries):
    with django_assert_num_queries(3):
        build_network(gpsea)
    for _ in range(10):
        PartnershipFactory(source=OrganisationFactory(), target=partners["ft"])
    with django_assert_num_queries(3):
        network = build_network(gpsea)
    assert len(network.edges) == 13
