"""Only the DO vocabularies (reasons for delay and school phases among them) are in the admin: they hold no personal data.

DO enquiries, meetings, actions, timelines, links to children, the destruction log, who holds a DO
role and the retention rules are deliberately NOT registered: the admin would show them to
superusers, who are not the DO team, and saving a retention rule rewrote closed enquiries' review
dates. The DO Manager edits the retention rules in the DO area (``lado:retention-rules``).
"""

from django.contrib import admin

from .models import (
    Category,
    DelayReason,
    EmploymentBasis,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
)


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class SettingTypeAdmin(VocabularyAdmin):
    list_display = [*VocabularyAdmin.list_display, "asks_school_phase"]
    list_editable = [*VocabularyAdmin.list_editable, "asks_school_phase"]


admin.site.register(SettingType, SettingTypeAdmin)
for model in (ReferralSource, Sector, EmploymentBasis, Category, SchoolPhase, DelayReason):
    admin.site.register(model, VocabularyAdmin)
