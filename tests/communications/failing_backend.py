"""An email backend whose server refuses every connection (outbox retry tests)."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("Connexion refusée par le serveur SMTP")
