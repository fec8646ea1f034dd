"""Only reference data is in the admin: the vocabularies and the retention rules.

DO cases, meetings, actions, timelines and the destruction log are deliberately NOT
registered: the admin would show them to superusers, who are not the DO team.
"""

from django.contrib import admin

from . import services
from .models import Category, EmploymentBasis, ReferralSource, RetentionRule, Sector, SettingType


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


for model in (ReferralSource, Sector, SettingType, EmploymentBasis, Category):
    admin.site.register(model, VocabularyAdmin)


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ["closure", "years", "until_retirement", "retirement_age", "note"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = services.apply_retention_rule(obj, actor=request.user)
        if changed:
            self.message_user(request, f"Retention review dates recalculated for {changed} closed case(s).")
