"""API access goes through the same scope as the pages (cite_emploi.accounts.scope)."""

from ninja.security import SessionAuth

from cite_emploi.accounts.permissions import ALL_ROLES
from cite_emploi.accounts.scope import scope_for


class ScopedSession(SessionAuth):
    """A signed-in session with at least one membership in a territory (or the platform admin)."""

    def __init__(self, roles: tuple[str, ...] = ALL_ROLES):
        super().__init__()
        self.roles = roles

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None:
            return None
        scope = scope_for(request)
        if scope.territory is None:
            return None
        if scope.is_platform_admin or scope.has_role(*self.roles):
            return user
        return None
