"""Routes of the import and export of the offer (data·inclusion, XLSX)."""

urlpatterns = []
