"""Routes of referrals (orientations), the inbox, cohorts and case reviews."""

urlpatterns = []
