from django.contrib import admin

from .models import CaseRead, ClosureDay


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    """Adding, moving or removing a closure day moves the open deadlines whose working days run
    over it, each noted on its case's timeline under the name of whoever changed it."""

    list_display = ["date", "description"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj._changed_by = request.user
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj._changed_by = request.user
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one by one, so each removal moves its deadlines
            self.delete_model(request, obj)


@admin.register(CaseRead)
class CaseReadAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "case_kind", "case_id", "view"]
    list_filter = ["case_kind", "view"]
    search_fields = ["user__username"]

    def get_queryset(self, request):
        # Reads of Designated Officer enquiries are shown only to the DO Manager, in the DO pages.
        return super().get_queryset(request).exclude(case_kind__startswith="lado.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
