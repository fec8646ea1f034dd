from rest_framework import serializers

from api.serializers import ModelSerializer
from people.models import Team, User

from .models import Child


class ChildSerializer(ModelSerializer):
    social_worker = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    team = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True
    )

    etag = serializers.CharField(read_only=True, help_text="The record's version (also the ETag header).")

    class Meta:
        model = Child
        fields = ["id", "reference", "name", "date_of_birth", "case_type", "social_worker", "team", "updated_at",
                  "etag"]

    def validate_date_of_birth(self, value):
        from api.serializers import checked_date
        from workflows.date_rules import CHILD_DATE_OF_BIRTH

        return checked_date(value, "Date of birth", rule=CHILD_DATE_OF_BIRTH)


#: The largest id a record can have (a 64-bit primary key).
MAX_ID = 2**63 - 1


def validate_child_ids(qs, ids: list[int]) -> list[Child]:
    """Serializer validation for a list of child ids the user may see."""
    from .selectors import children_by_ids

    beyond_any_id = [i for i in ids if not 0 < i <= MAX_ID]  # the database cannot even look these up
    if beyond_any_id:
        raise serializers.ValidationError(f"Unknown child id(s): {', '.join(map(str, beyond_any_id))}.")
    children, missing = children_by_ids(qs, ids)
    if missing:
        raise serializers.ValidationError(f"Unknown child id(s): {', '.join(map(str, missing))}.")
    return children
