from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """The kernel every case app shares; it imports no app (docs/architecture.md).

    The time source (``timesource``), calendar months (``dates``), the working-day calendar
    (``calendar``), clocks and their RAG (``clocks``), the one way to move a case
    (``transitions``, ``moves``), row locks (``locks``), the timeline event (``timeline``),
    history (``history``), timeline and reference models (``models``), read
    logging (``audit``), the reminder registry (``reminders``), shared form pieces (``forms``),
    the broker and the database role."""

    name = "workflows"
    verbose_name = "Workflows: calendar and clocks"

    def ready(self):
        from . import signals  # noqa: F401
