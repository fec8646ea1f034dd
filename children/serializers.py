from rest_framework import serializers

from people.models import Team, User

from .models import Child


class ChildSerializer(serializers.ModelSerializer):
    social_worker = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    team = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Child
        fields = ["id", "reference", "name", "date_of_birth", "status", "social_worker", "team"]
