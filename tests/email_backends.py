"""An email backend that fails the first few sends, to prove retries deliver exactly once."""

import threading

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    failures_left = 0
    attempts = 0
    _lock = threading.Lock()

    def send_messages(self, messages):
        with FlakyBackend._lock:
            FlakyBackend.attempts += 1
            if FlakyBackend.failures_left > 0:
                FlakyBackend.failures_left -= 1
                raise ConnectionError("SMTP server unavailable (simulated)")
        return super().send_messages(messages)
