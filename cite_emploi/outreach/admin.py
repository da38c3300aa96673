"""Administration of the aller-vers and recruitment operations: nothing that names a person.

The Django admin bypasses the access rule and the audit log, so the rows tied to a person's follow-up
(origins, candidates, interviews) show only numbers and are read-only; the platform operator uses
them to answer support questions, never to read anyone's data.
"""

from django.contrib import admin

from .models import (
    ActionOrigin,
    EventCandidate,
    EventEmployer,
    EventOffer,
    Interview,
    OutreachAction,
    OutreachSeries,
    ReachedCount,
    RecruitmentEvent,
)


class ReachedCountInline(admin.TabularInline):
    model = ReachedCount
    extra = 0


@admin.register(OutreachSeries)
class OutreachSeriesAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "territory",
        "kind",
        "weekday",
        "start_time",
        "every_weeks",
        "starts_on",
        "ends_on",
    )
    list_filter = ("territory", "kind", "is_demo")
    search_fields = ("title", "place_label")
    raw_id_fields = ("qpv", "commune", "created_by")
    filter_horizontal = ("organisations",)
    list_select_related = ("territory",)


@admin.register(OutreachAction)
class OutreachActionAdmin(admin.ModelAdmin):
    list_display = ("title", "territory", "kind", "starts_at", "status", "contacts_left", "series")
    list_filter = ("territory", "kind", "status", "is_demo")
    search_fields = ("title", "place_label")
    date_hierarchy = "starts_at"
    raw_id_fields = ("qpv", "commune", "series", "created_by", "staff")
    filter_horizontal = ("organisations",)
    list_select_related = ("territory", "series")
    inlines = [ReachedCountInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ActionOrigin)
class ActionOriginAdmin(ReadOnlyAdmin):
    list_display = ("pk", "action", "follow_up_id", "recorded_at")
    fields = ("action", "follow_up_id", "recorded_at")
    readonly_fields = fields
    list_select_related = ("action",)


@admin.register(RecruitmentEvent)
class RecruitmentEventAdmin(admin.ModelAdmin):
    list_display = ("title", "territory", "kind", "starts_at", "status", "registration_open")
    list_filter = ("territory", "kind", "status", "registration_open", "is_demo")
    search_fields = ("title", "place_label")
    date_hierarchy = "starts_at"
    raw_id_fields = ("qpv", "commune", "created_by")
    filter_horizontal = ("organisers",)
    list_select_related = ("territory",)


@admin.register(EventEmployer)
class EventEmployerAdmin(admin.ModelAdmin):
    list_display = ("company_name", "event", "status", "registered_at")
    list_filter = ("status",)
    search_fields = ("company_name", "siret")
    raw_id_fields = ("event", "organisation", "registered_by")
    list_select_related = ("event",)


@admin.register(EventOffer)
class EventOfferAdmin(admin.ModelAdmin):
    list_display = ("pk", "event", "offer", "employer")
    raw_id_fields = ("event", "offer", "employer")
    list_select_related = ("event", "offer", "employer")


@admin.register(EventCandidate)
class EventCandidateAdmin(ReadOnlyAdmin):
    list_display = ("pk", "event", "follow_up_id", "status", "prepared", "invited_at")
    list_filter = ("status", "prepared")
    fields = ("event", "follow_up_id", "organisation", "status", "prepared", "invited_at")
    readonly_fields = fields
    list_select_related = ("event",)


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ("pk", "candidate_id", "employer", "result", "hired_on")
    list_filter = ("result",)
    fields = ("candidate_id", "employer", "offer", "result", "contract", "hired_on", "outcome_id")
    readonly_fields = fields
    list_select_related = ("employer",)
