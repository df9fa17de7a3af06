from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "delivery.portal"
    label = "portal"
    verbose_name = "Portail client et validation"

    def ready(self) -> None:
        from communications.services import SEND_PREPARERS
        from delivery.portal.services import VALIDATION_REQUEST_KEY, link_issue_for_message

        # The portal token is drawn when the email leaves the outbox, so it is stored
        # nowhere (not even in the outbox), and its validity starts then.
        SEND_PREPARERS[VALIDATION_REQUEST_KEY] = link_issue_for_message
