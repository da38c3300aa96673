from . import urls_datasets, urls_pages, urls_report

app_name = "diagnostic"
urlpatterns = [*urls_pages.urlpatterns, *urls_datasets.urlpatterns, *urls_report.urlpatterns]
