from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Child


@admin.register(Child)
class ChildAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "name", "status", "team", "social_worker"]
    list_filter = ["status", "team"]
    search_fields = ["reference", "name"]
    raw_id_fields = ["social_worker"]
