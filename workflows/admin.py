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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
