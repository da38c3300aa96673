"""The access rule of every page: logged in, a territory, and one of the roles the page names."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .scope import scope_for

ALL_ROLES = ("coordinator", "counsellor", "elected", "funder", "employer")


def check_access(request, roles: tuple[str, ...]) -> None:
    """Raise PermissionDenied unless the user may act in their territory with one of ``roles``."""
    scope = scope_for(request)
    if scope.territory is None:
        raise PermissionDenied("Votre compte n'est rattaché à aucune organisation d'un territoire.")
    if scope.is_platform_admin or scope.has_role(*roles):
        return
    raise PermissionDenied("Votre rôle ne donne pas accès à cette page.")


def require_role(*roles: str):
    """Decorate a view: anonymous users go to the login page, others need one of ``roles``."""
    roles = roles or ALL_ROLES

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_access(request, roles)
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator
