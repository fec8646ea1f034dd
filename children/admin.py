from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Child

#: How imports name themselves in a history row's reason ("Imported from <file name>").
IMPORTED_FROM = "Imported from "


@admin.register(Child)
class ChildAdmin(SimpleHistoryAdmin):
    """Children, with their history. A child made by an import has "Imported from <file>" as
    its history reason; the file may be a Designated Officer import, whose name is DO data, so
    the admin says "Imported from a file" and names none."""

    list_display = ["reference", "name", "case_type", "team", "social_worker"]
    list_filter = ["case_type", "team"]
    search_fields = ["reference", "name"]
    raw_id_fields = ["social_worker"]

    def set_history_delta_changes(self, request, historical_records, *args, **kwargs):
        for record in historical_records:
            if (record.history_change_reason or "").startswith(IMPORTED_FROM):
                record.history_change_reason = f"{IMPORTED_FROM}a file"
        return super().set_history_delta_changes(request, historical_records, *args, **kwargs)
