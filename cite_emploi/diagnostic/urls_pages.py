from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("qpv/<str:code>/", views.qpv, name="qpv"),
    path("communes/<str:code>/", views.commune, name="commune"),
    path("besoins/", views.gaps, name="gaps"),
    path("besoins.csv", views.gaps_csv, name="gaps_csv"),
    path("indicateurs/", views.indicator_list, name="indicators"),
    path("indicateurs/<slug:code>.csv", views.indicator_csv, name="indicator_csv"),
]
