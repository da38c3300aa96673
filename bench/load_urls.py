"""The platform's URLs plus three reference views of the load test.

- ``/__bare__/``: a view that does nothing, the framework's ceiling. It goes through the same
  middleware stack as every page (sessions, CSRF, CSP, axes, territory scope), without a session
  cookie, template or query: what Django and our middleware cost alone.
- ``/__floor__/``: what DESIGN.md obliges every page showing personal data to do, and nothing more:
  a signed-in session, the reader's scope (memberships, territory) and one audit entry, with a
  two-byte answer. No page of the journey can be cheaper than this.

The page shell (header, menu, footer, no content) is measured on the help page, ``/aide/``.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from cite_emploi.accounts.scope import scope_for
from cite_emploi.core import audit
from cite_emploi.urls import handler403  # noqa: F401
from cite_emploi.urls import urlpatterns as platform_urls


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def floor(request):
    scope = scope_for(request)
    audit.record(
        "read",
        actor=request.user,
        object_type="bench.floor",
        object_id="0",
        territory_id=scope.territory.pk if scope.territory else None,
        request=request,
        what="plancher du test de charge",
    )
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("__bare__/", bare), path("__floor__/", floor), *platform_urls]
