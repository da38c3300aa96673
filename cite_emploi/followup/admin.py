"""Administration of the shared follow-up: nothing that names a person.

The Django admin bypasses the access rule (members only) and the audit log, so beneficiaries,
notes, consents and members are deliberately not registered. The platform operator sees follow-ups
by number, status and dates, to answer support questions without reading anyone's data.
"""

from django.contrib import admin

from .models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("pk", "territory", "status", "opened_on", "closed_on", "last_activity_at")
    list_filter = ("status", "beneficiary__territory")
    fields = ("status", "opened_on", "closed_on", "closing_reason", "last_activity_at")
    readonly_fields = fields
    list_select_related = ("beneficiary__territory",)

    @admin.display(description="territoire")
    def territory(self, obj):
        return obj.beneficiary.territory

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
