from django.urls import include, path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.organisation_list, name="organisations"),
    path("organisations/nouvelle/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/modifier/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/lieux/nouveau/", views.site_create, name="site_create"),
    path("organisations/<int:pk>/contacts/nouveau/", views.contact_create, name="contact_create"),
    path("organisations/<int:pk>/partenariats/nouveau/", views.partnership_create, name="partnership_create"),
    path("organisations/<int:pk>/services/nouveau/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/modifier/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/confirmer/", views.service_confirm, name="service_confirm"),
    path("services/<int:pk>/supprimer/", views.service_delete, name="service_delete"),
    path("", include("cite_emploi.partners.urls_catalogue")),
    path("", include("cite_emploi.partners.urls_offer")),
]
