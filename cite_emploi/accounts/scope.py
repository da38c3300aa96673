"""Territory scoping, in one place.

Every page and API route learns who is asking, in which territory and with which roles from
``scope_for(request)``. Nothing else decides it: a view never reads memberships itself.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import prefetch_related_objects

from cite_emploi.territory.models import Territory

from .models import Membership

SESSION_KEY = "territory_id"


@dataclass
class Scope:
    user: object
    territory: Territory | None
    memberships: list[Membership] = field(default_factory=list)
    territories: list[Territory] = field(default_factory=list)

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    @cached_property
    def organisations(self) -> list:
        seen, result = set(), []
        for m in self.memberships:
            if m.organisation_id not in seen:
                seen.add(m.organisation_id)
                result.append(m.organisation)
        return result

    @property
    def is_platform_admin(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @cached_property
    def commune_ids(self) -> frozenset[int]:
        """Communes an elected member may read; empty means the whole territory for other roles."""
        ids = set()
        for m in self.memberships:
            if m.role == "elected":
                ids.update(c.pk for c in m.communes.all())
                if m.organisation.commune_id:
                    ids.add(m.organisation.commune_id)
        return frozenset(ids)


def anonymous_scope(user) -> Scope:
    return Scope(user=user, territory=None)


def build_scope(user, session=None) -> Scope:
    if not getattr(user, "is_authenticated", False):
        return anonymous_scope(user)
    memberships = list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation__territory", "organisation__commune")
    )
    # Only an elected member's communes limit what they read (``commune_ids``): the other roles,
    # i.e. nearly every page, save the query.
    prefetch_related_objects([m for m in memberships if m.role == "elected"], "communes")
    territories = {m.organisation.territory_id: m.organisation.territory for m in memberships}
    if user.is_superuser:
        territories.update({t.pk: t for t in Territory.objects.all()})
    ordered = sorted(territories.values(), key=lambda t: (t.is_demo, t.name))
    wanted = session.get(SESSION_KEY) if session is not None else None
    territory = territories.get(wanted) or (ordered[0] if ordered else None)
    in_territory = [m for m in memberships if territory and m.organisation.territory_id == territory.pk]
    return Scope(user=user, territory=territory, memberships=in_territory, territories=ordered)


def scope_for(request) -> Scope:
    if not hasattr(request, "_scope"):
        request._scope = build_scope(request.user, getattr(request, "session", None))
    return request._scope


def switch_territory(request, territory_id: int) -> bool:
    scope = scope_for(request)
    if any(t.pk == territory_id for t in scope.territories):
        request.session[SESSION_KEY] = territory_id
        del request._scope
        return True
    return False
