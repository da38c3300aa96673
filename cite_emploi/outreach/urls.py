from django.urls import include, path

app_name = "outreach"

urlpatterns = [
    path("", include("cite_emploi.outreach.urls_actions")),
    path("operations/", include("cite_emploi.outreach.urls_events")),
]
