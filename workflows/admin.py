from django.contrib import admin

from .models import CaseRead, ClosureDay


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "description"]
    date_hierarchy = "date"


@admin.register(CaseRead)
class CaseReadAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "case_kind", "case_id", "view"]
    list_filter = ["case_kind", "view"]
    search_fields = ["user__username"]

    def get_queryset(self, request):
        # Reads of Designated Officer cases are shown only to the DO Manager, in the DO pages.
        return super().get_queryset(request).exclude(case_kind__startswith="lado.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
