"""Panels that later parts of the platform add to a person's page, without the follow-up importing them.

The follow-up app (``followup``) sits left of ``outreach`` and ``talent`` in the import order
(DESIGN.md). Those parts still have something to show on a person's page (their talent profile,
the outreach action their follow-up started from, their recruitment events), so each registers a
builder here from its ``AppConfig.ready()`` and the person's page renders what the builders return.
A builder runs a fixed number of queries: the page's query count must not grow with the data.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


# builder(request, beneficiary, member) -> Panel | None; member is the viewer's FollowUpMember (or None).
Builder = Callable[..., Panel | None]
_builders: list[tuple[int, Builder]] = []


def register(builder: Builder, *, order: int = 50) -> Builder:
    if all(b is not builder for _, b in _builders):
        _builders.append((order, builder))
        _builders.sort(key=lambda pair: pair[0])
    return builder


def panels_for(request, beneficiary, member) -> list[Panel]:
    panels = (builder(request, beneficiary, member) for _, builder in _builders)
    return [p for p in panels if p is not None]
