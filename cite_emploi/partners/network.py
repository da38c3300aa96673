"""The partnership network of a territory: who works with whom, drawn on the server as SVG.

Edges are the partnerships declared between organisations (``Partnership``, in force today),
plus the referral flows counted from the referrals themselves (see ``referral_flows``). Nodes are the
organisations that take part in at least one edge, placed on a circle grouped by kind (then by
name), so the same data always gives the same drawing. No JavaScript: the SVG is rendered by a
template and serves the page and a PDF alike, with its data table beside it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from cite_emploi.core.secrecy import secrecy_threshold

from .models import Organisation, OrganisationKind, Partnership

# Node colours by kind of organisation (DSFR illustrative palette).
KIND_COLOURS = {
    OrganisationKind.CITE_TEAM: "#000091",
    OrganisationKind.FRANCE_TRAVAIL: "#e1000f",
    OrganisationKind.MISSION_LOCALE: "#009081",
    OrganisationKind.CAP_EMPLOI: "#a558a0",
    OrganisationKind.PLIE: "#c3992a",
    OrganisationKind.COMMUNE: "#417dc4",
    OrganisationKind.STATE: "#3a3a3a",
    OrganisationKind.DEPARTMENT: "#6a6af4",
    OrganisationKind.ASSOCIATION: "#e4794a",
    OrganisationKind.NEIGHBOURHOOD_ASSOCIATION: "#8d533e",
    OrganisationKind.TRAINING_BODY: "#6e445a",
    OrganisationKind.SIAE: "#00a95f",
    OrganisationKind.SOCIAL_LANDLORD: "#d1b781",
    OrganisationKind.EMPLOYER: "#68a532",
    OrganisationKind.OTHER: "#929292",
}
DEFAULT_COLOUR = "#929292"
FLOW = "flux-orientations"
# Edge styles by nature: colour and dash pattern, so that colour is never the only signal.
EDGE_STYLES = {
    Partnership.Kind.CONVENTION: ("#000091", ""),
    Partnership.Kind.CO_ANIMATION: ("#009081", "8 4"),
    Partnership.Kind.PERMANENCE: ("#b34000", "2 4"),
    Partnership.Kind.REFERRALS: ("#a558a0", "12 4 3 4"),
    Partnership.Kind.OTHER: ("#666666", "1 3"),
    FLOW: ("#e1000f", ""),
}
EDGE_LABELS = {**dict(Partnership.Kind.choices), FLOW: "Orientations comptées (flux)"}

NODE_RADIUS = 7
LABEL_SPACE = 230
LABEL_CHARS = 32
MARGIN = 30
LEGEND_COLUMNS = 2


@dataclass(frozen=True)
class Flow:
    """Referrals sent from one organisation's counsellors to another organisation's services."""

    source_id: int
    target_id: int
    count: int


def referral_flows(territory, since: date | None = None) -> list[Flow]:
    """Referrals sent between two organisations of ``territory`` (optionally since a date).

    Every referral that left its draft counts, whatever came of it. A flow is an aggregate: below
    ``settings.SECRECY_THRESHOLD`` referrals it is left out (statistical secrecy), as are the
    referrals inside one organisation. ``Referral`` belongs to ``followup``, to the right of
    ``partners`` in the import order: it is reached through the app registry.
    """
    referral = apps.get_model("followup", "Referral")
    sent = referral.objects.filter(
        sender_organisation__territory=territory, receiving_organisation__territory=territory
    ).exclude(status=referral.Status.DRAFT)
    if since is not None:
        sent = sent.filter(sent_at__date__gte=since)
    rows = (
        sent.exclude(sender_organisation=F("receiving_organisation"))
        .values_list("sender_organisation_id", "receiving_organisation_id")
        .annotate(n=Count("pk"))
        .order_by("sender_organisation_id", "receiving_organisation_id")
    )
    threshold = secrecy_threshold()
    return [Flow(source, target, n) for source, target, n in rows if n >= threshold]


@dataclass
class Node:
    pk: int
    name: str
    kind: str
    kind_label: str
    colour: str
    x: float = 0.0
    y: float = 0.0
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"

    @property
    def short_name(self) -> str:
        return self.name if len(self.name) <= LABEL_CHARS else self.name[: LABEL_CHARS - 1] + "…"


@dataclass
class Edge:
    source: Node
    target: Node
    kind: str
    kind_label: str
    description: str = ""
    since: date | None = None
    count: int | None = None  # referral flows only
    path: str = ""
    colour: str = ""
    dash: str = ""
    width: float = 1.6


@dataclass
class Network:
    nodes: list[Node]
    edges: list[Edge]
    without_partnership: list[Organisation] = field(default_factory=list)
    width: int = 0
    height: int = 0
    legend_y: int = 0
    node_legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    edge_legend: list[tuple[str, str, str, str]] = field(default_factory=list)  # (kind, label, colour, dash)


def partnerships(territory, kinds: tuple[str, ...] = (), today: date | None = None):
    """Partnerships of ``territory`` in force on ``today`` (not ended before), optionally of some kinds."""
    today = today or timezone.localdate()
    queryset = Partnership.objects.filter(territory=territory).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    )
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return queryset.select_related("source", "target").order_by("source__name", "target__name", "kind")


def build_network(territory, kinds: tuple[str, ...] = (), flows: list[Flow] | None = None) -> Network:
    """Nodes, edges and layout of the network (three queries whatever its size: flows, organisations, partnerships)."""
    flows = referral_flows(territory) if flows is None else flows
    organisations = {o.pk: o for o in Organisation.objects.in_territory(territory).order_by("name", "pk")}
    order = {value: i for i, value in enumerate(OrganisationKind.values)}
    nodes: dict[int, Node] = {}

    def node(org: Organisation) -> Node:
        if org.pk not in nodes:
            nodes[org.pk] = Node(
                org.pk, org.name, org.kind, org.get_kind_display(), KIND_COLOURS.get(org.kind, DEFAULT_COLOUR)
            )
        return nodes[org.pk]

    edges = [
        Edge(node(p.source), node(p.target), p.kind, p.get_kind_display(), p.description, p.started_on)
        for p in partnerships(territory, kinds)
    ]
    if not kinds or FLOW in kinds:
        for flow in flows:
            if flow.source_id in organisations and flow.target_id in organisations and flow.count > 0:
                edges.append(
                    Edge(
                        node(organisations[flow.source_id]),
                        node(organisations[flow.target_id]),
                        FLOW,
                        EDGE_LABELS[FLOW],
                        count=flow.count,
                    )
                )
    ordered = sorted(nodes.values(), key=lambda n: (order.get(n.kind, len(order)), n.name.casefold(), n.pk))
    network = Network(
        nodes=ordered,
        edges=edges,
        without_partnership=[o for pk, o in organisations.items() if pk not in nodes],
    )
    _layout(network)
    return network


def _layout(network: Network) -> None:
    """Circle layout: kinds one after the other, an empty slot between two kinds."""
    nodes = network.nodes
    radius = min(380, max(150, 9 * len(nodes)))
    cx = LABEL_SPACE + radius + MARGIN
    cy = radius + MARGIN + 20
    groups = len({n.kind for n in nodes})
    slots = len(nodes) + (groups if groups > 1 else 0)
    slot, previous = 0, None
    for n in nodes:
        if previous is not None and n.kind != previous:
            slot += 1
        previous = n.kind
        angle = -math.pi / 2 + 2 * math.pi * slot / max(slots, 1)
        n.x, n.y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        n.label_x = cx + (radius + NODE_RADIUS + 6) * math.cos(angle)
        n.label_y = cy + (radius + NODE_RADIUS + 6) * math.sin(angle) + 4
        n.anchor = "start" if math.cos(angle) >= -1e-9 else "end"
        slot += 1

    # Edges: quadratic curves bent toward the centre; parallel edges spread apart.
    parallel: dict[tuple[int, int], int] = defaultdict(int)
    for e in network.edges:
        pair = (min(e.source.pk, e.target.pk), max(e.source.pk, e.target.pk))
        rank = parallel[pair]
        parallel[pair] += 1
        e.colour, e.dash = EDGE_STYLES.get(e.kind, EDGE_STYLES[Partnership.Kind.OTHER])
        if e.count:
            e.width = 1.5 + min(6.0, math.log2(1 + e.count))
        e.path = _curve(e.source, e.target, cx, cy, rank, pair[0] == e.source.pk)

    network.width = int(2 * (LABEL_SPACE + radius + MARGIN))
    network.legend_y = int(2 * radius + 2 * MARGIN + 50)
    kinds_shown = list(dict.fromkeys((n.kind_label, n.colour) for n in nodes))
    edge_kinds = list(dict.fromkeys(e.kind for e in network.edges))
    network.node_legend = kinds_shown
    network.edge_legend = [
        (k, EDGE_LABELS.get(k, k), *EDGE_STYLES.get(k, EDGE_STYLES[Partnership.Kind.OTHER]))
        for k in edge_kinds
    ]
    rows = math.ceil(len(kinds_shown) / LEGEND_COLUMNS) + math.ceil(len(edge_kinds) / LEGEND_COLUMNS) + 2
    network.height = network.legend_y + 22 * rows + MARGIN


def _curve(a: Node, b: Node, cx: float, cy: float, rank: int, forward: bool) -> str:
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    # Control point: the middle pulled a quarter of the way toward the centre …
    px, py = mx + (cx - mx) * 0.25, my + (cy - my) * 0.25
    # … then shifted sideways for the second, third… edge between the same two organisations.
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    side = (1 if rank % 2 else -1) * ((rank + 1) // 2) * 18 * (1 if forward else -1)
    px, py = px - dy / length * side, py + dx / length * side
    # Stop at the edge of the nodes so the arrow stays visible.
    sx, sy = _towards(a.x, a.y, px, py, NODE_RADIUS + 1)
    ex, ey = _towards(b.x, b.y, px, py, NODE_RADIUS + 3)
    return f"M{sx:.1f},{sy:.1f} Q{px:.1f},{py:.1f} {ex:.1f},{ey:.1f}"


def _towards(x: float, y: float, tx: float, ty: float, distance: float) -> tuple[float, float]:
    dx, dy = tx - x, ty - y
    length = math.hypot(dx, dy) or 1.0
    return x + dx / length * distance, y + dy / length * distance


def render_svg(network: Network, title: str = "Réseau des partenaires") -> str:
    """The graph as an accessible SVG document fragment (role img, title, description)."""
    legend = []
    columns = LEGEND_COLUMNS
    column_width = (network.width - 2 * MARGIN) // columns
    y = network.legend_y
    for i, (label, colour) in enumerate(network.node_legend):
        legend.append(
            {
                "type": "node",
                "x": MARGIN + (i % columns) * column_width,
                "y": y + (i // columns) * 22,
                "label": label,
                "colour": colour,
            }
        )
    y += 22 * math.ceil(len(network.node_legend) / columns) + 12
    for i, (kind, label, colour, dash) in enumerate(network.edge_legend):
        legend.append(
            {
                "type": "edge",
                "kind": kind,
                "x": MARGIN + (i % columns) * column_width,
                "y": y + (i // columns) * 22,
                "label": label,
                "colour": colour,
                "dash": dash,
            }
        )
    return render_to_string(
        "partners/catalogue/network.svg",
        {
            "network": network,
            "title": title,
            "legend": legend,
            "legend_title_y": network.legend_y - 18,
            "node_radius": NODE_RADIUS,
        },
    )
