"""Routes of the diagnostic report, under /diagnostic/rapport/ (namespace « diagnostic », set by urls.py).

The live report and its PDF are for the coordination and the funders; versions, their PDF and the
comparison also for elected members (shared versions only); saving (POST on the report page) and
sharing (POST only) for the coordination. A version of another territory answers 404.
"""

from django.urls import path

from . import views_report as views

urlpatterns = [
    path("rapport/", views.report_page, name="report"),
    path("rapport/rapport.pdf", views.report_pdf, name="report_pdf"),
    path("rapport/versions/", views.report_versions, name="report_versions"),
    path("rapport/versions/<int:number>/", views.report_version, name="report_version"),
    path("rapport/versions/<int:number>/rapport.pdf", views.report_version_pdf, name="report_version_pdf"),
    path("rapport/versions/<int:number>/partage/", views.report_version_share, name="report_version_share"),
    path("rapport/comparer/", views.report_compare, name="report_compare"),
]
