"""Administration of the CV library: read-only views for support, nothing written around the services.

Profiles are anonymised but tied to a follow-up; the admin bypasses the audit log and the rules of
``services`` (consent, anonymity checks), so everything here is read-only and shows no free text of
a profile or of a contact request. Offers are the employers' own data.
"""

from django.contrib import admin

from .models import ContactRequest, JobOffer, TalentProfile


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TalentProfile)
class TalentProfileAdmin(ReadOnly):
    list_display = (
        "reference",
        "territory",
        "status",
        "consent_given_on",
        "consent_withdrawn_on",
        "published_at",
    )
    list_filter = ("status", "territory", "is_demo")
    search_fields = ("reference",)
    fields = (
        "reference",
        "territory",
        "status",
        "consent_given_on",
        "consent_withdrawn_on",
        "published_at",
        "updated_at",
    )
    readonly_fields = fields
    list_select_related = ("territory",)


@admin.register(JobOffer)
class JobOfferAdmin(ReadOnly):
    list_display = ("reference", "title", "organisation", "contract", "status", "created_at")
    list_filter = ("status", "contract", "territory", "is_demo")
    search_fields = ("reference", "title", "organisation__name")
    fields = ("reference", "title", "organisation", "rome_code", "contract", "posts", "status", "created_at")
    readonly_fields = fields
    list_select_related = ("organisation",)


@admin.register(ContactRequest)
class ContactRequestAdmin(ReadOnly):
    list_display = ("pk", "profile_reference", "organisation", "status", "created_at", "answered_at")
    list_filter = ("status",)
    fields = ("status", "organisation", "created_at", "answered_at")
    readonly_fields = fields
    list_select_related = ("profile", "organisation")

    @admin.display(description="profil")
    def profile_reference(self, obj):
        return obj.profile.reference
