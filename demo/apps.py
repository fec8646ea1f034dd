from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo accounts and records for trying Footprint out; refuses to run outside demo mode."""

    name = "demo"
