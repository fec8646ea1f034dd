"""Only the DO vocabularies are in the admin: they hold no personal data.

DO enquiries, meetings, actions, timelines, links to children, the destruction log, who holds a DO
role and the retention rules are deliberately NOT registered: the admin would show them to
superusers, who are not the DO team, and saving a retention rule rewrote closed enquiries' review
dates. The DO Manager edits the retention rules in the DO area (``lado:retention-rules``).
"""

from django.contrib import admin

from .models import Category, EmploymentBasis, ReferralSource, Sector, SettingType


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


for model in (ReferralSource, Sector, SettingType, EmploymentBasis, Category):
    admin.site.register(model, VocabularyAdmin)
