from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("aide/", views.help_index, name="help"),
    path("aide/<slug:slug>/", views.help_page, name="help_page"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("donnees-personnelles/", views.personal_data, name="personal_data"),
    path("sources/", views.sources, name="sources"),
]
