from django.utils.functional import SimpleLazyObject

from .scope import scope_for


class TerritoryScopeMiddleware:
    """Attach ``request.scope`` (lazy: pages that do not need it cost no query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(lambda: scope_for(request))
        return self.get_response(request)
