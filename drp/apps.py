from django.apps import AppConfig


class DrpConfig(AppConfig):
    name = "drp"
    verbose_name = "Dispute Resolution Procedure"
