"""Routes of beneficiaries, their follow-up, barriers, timeline and outcomes."""

urlpatterns = []
