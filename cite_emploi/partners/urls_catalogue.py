"""Routes of the catalogue, the coverage table and the partner map (filled by their views)."""

urlpatterns = []
