from django.urls import include, path

app_name = "followup"

urlpatterns = [
    path("", include("cite_emploi.followup.urls_core")),
    path("", include("cite_emploi.followup.urls_referrals")),
]
