from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from cite_emploi.api.urls import api

admin.site.site_header = "Administration — Cité de l'emploi"
admin.site.site_title = "Administration"

urlpatterns = [
    path("", include("cite_emploi.core.urls")),
    path("", include("cite_emploi.accounts.urls")),
    path("territoire/", include("cite_emploi.territory.urls")),
    path("partenaires/", include("cite_emploi.partners.urls")),
    path("suivi/", include("cite_emploi.followup.urls")),
    path("aller-vers/", include("cite_emploi.outreach.urls")),
    path("cvtheque/", include("cite_emploi.talent.urls")),
    path("diagnostic/", include("cite_emploi.diagnostic.urls")),
    path("pilotage/", include("cite_emploi.steering.urls")),
    path("api/v1/", api.urls),
    path("administration/", admin.site.urls),
]

if settings.PROCONNECT_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler403 = "cite_emploi.core.views.permission_denied"
