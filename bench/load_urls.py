"""The platform's URLs plus ``/__bare__/``: a view that does nothing, the framework's ceiling.

It goes through the same middleware stack as every page (sessions, CSRF, CSP, axes, territory
scope), without a session cookie, template or query: what Django and our middleware cost alone.
"""

from django.http import HttpResponse
from django.urls import path

from cite_emploi.urls import handler403  # noqa: F401
from cite_emploi.urls import urlpatterns as platform_urls


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("__bare__/", bare), *platform_urls]
