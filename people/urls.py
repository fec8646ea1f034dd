"""A person's own account pages, under /accounts/ (beside Django's sign-in pages)."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("two-step/", views.two_step_overview, name="two-step"),
    path("two-step/set-up/", views.two_step_set_up, name="two-step-set-up"),
    path("two-step/verify/", views.two_step_verify, name="two-step-verify"),
    path("two-step/turn-off/", views.two_step_turn_off, name="two-step-turn-off"),
    path("system-accounts/", views.service_accounts, name="service-accounts"),
    path("system-accounts/<int:pk>/token/", views.service_account_token, name="service-account-token"),
    path("system-accounts/<int:pk>/switch-off/", views.service_account_switch_off,
         name="service-account-switch-off"),
]
