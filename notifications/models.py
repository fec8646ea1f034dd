from django.conf import settings
from django.db import models


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "Send each email straight away"
    DAILY = "daily", "Send one daily digest email"


class Preference(models.Model):
    """How a person wants their emails; everyone gets in-app notifications."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    email = models.CharField(max_length=20, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE)

    def __str__(self):
        return f"{self.user}: {self.get_email_display()}"


class Notification(models.Model):
    """Something a person was told: what happened, a link to the case, when, and if read.

    Its email goes through three states: waiting (``emailed_at`` and ``email_claimed_until``
    empty, or the claim run out), being sent (``email_claimed_until`` in the future: one sender
    has claimed it, and committed the claim, before talking to the mail server) and sent
    (``emailed_at``, written once the mail server took it). A second sender skips a claimed or
    sent notification, so it is emailed at least once and, unless a sender dies (or loses the
    database for the whole claim) between the mail server taking it and ``emailed_at`` being
    written, exactly once; in that window it is sent again when the claim runs out
    (``notifications.emails``, docs/deployment.md)."""

    # No index of its own: (recipient, read_at) and (recipient, created_at) below serve every
    # look-up by recipient, and each index is one more write for each of a sweep's thousands.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="notifications", db_index=False)
    #: For someone who is not a user (a partner agency's contact): where the email goes. Such a
    #: notification has no recipient, is never shown in the app, and is emailed with the same
    #: claim and guarantee as everyone else's.
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    #: Claimed by a sender until then (FOOTPRINT_EMAIL_LEASE_SECONDS after it claimed it).
    email_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"]),
                   models.Index(fields=["recipient", "created_at"]),
                   # The few emails still to send, for queue_pending_emails.
                   models.Index(fields=["created_at"], condition=models.Q(emailed_at__isnull=True),
                                name="notification_unemailed")]
        constraints = [models.CheckConstraint(
            condition=(models.Q(recipient__isnull=False, address="") | models.Q(recipient__isnull=True) & ~models.Q(address="")),
            name="notification_to_a_user_or_an_address")]

    def __str__(self):
        return f"{self.recipient or self.address}: {self.subject}"

    @property
    def email_to(self) -> str:
        """The address its email goes to: the recipient's, or the contact's."""
        return self.recipient.email if self.recipient_id else self.address

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
