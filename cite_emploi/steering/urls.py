from . import urls_committees, urls_dashboards, urls_plan

app_name = "steering"
urlpatterns = [*urls_dashboards.urlpatterns, *urls_plan.urlpatterns, *urls_committees.urlpatterns]
