"""Panels that later parts of the platform add to a person's page, without the follow-up importing them.

The follow-up app (``followup``) sits left of ``outreach`` and ``talent`` in the import order
(DESIGN.md). Those parts still have something to show on a person's page (their talent profile,
the outreach action their follow-up started from, their recruitment events), so each registers a
builder here from its ``AppConfig.ready()`` and the person's page renders what the builders return.
A builder runs a fixed number of queries: the page's query count must not grow with the data.

A builder that reads one object per follow-up (a one-to-one relation of the follow-up) names it with
``follow_up_related``: the person's page then reads those objects with the person, in the query it
runs anyway (``follow_up_relations``), and the builder finds them on ``beneficiary.follow_up``
without a query of its own. Outlines and other large columns of those objects are named in
``follow_up_deferred``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


# builder(request, beneficiary, member) -> Panel | None; member is the viewer's FollowUpMember (or None).
Builder = Callable[..., Panel | None]
_builders: list[tuple[int, Builder]] = []
_related: list[str] = []
_deferred: list[str] = []


def register(
    builder: Builder,
    *,
    order: int = 50,
    follow_up_related: tuple[str, ...] = (),
    follow_up_deferred: tuple[str, ...] = (),
) -> Builder:
    if all(b is not builder for _, b in _builders):
        _builders.append((order, builder))
        _builders.sort(key=lambda pair: pair[0])
    _related.extend(path for path in follow_up_related if path not in _related)
    _deferred.extend(path for path in follow_up_deferred if path not in _deferred)
    return builder


def follow_up_relations() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(select_related paths, deferred paths) from the follow-up that the builders read."""
    return tuple(_related), tuple(_deferred)


def related_or_none(follow_up, name: str):
    """The follow-up's one-to-one ``name`` (read with the person when registered), or None without one."""
    try:
        return getattr(follow_up, name)
    except ObjectDoesNotExist:
        return None


def panels_for(request, beneficiary, member) -> list[Panel]:
    panels = (builder(request, beneficiary, member) for _, builder in _builders)
    return [p for p in panels if p is not None]
