"""What the follow-up tells the parts on its right (talent, outreach) without importing them.

They connect their receivers in their ``AppConfig.ready()``. Both signals are sent inside the
service's transaction, after the follow-up's own writes: a receiver that fails rolls everything back.
"""

from django.dispatch import Signal

# follow_up, by (the user closing it, or None)
follow_up_closed = Signal()
# beneficiary, follow_up (or None), by (or None when the retention purge anonymises)
beneficiary_anonymised = Signal()
