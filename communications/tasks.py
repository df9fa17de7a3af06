from __future__ import annotations

from celery import shared_task

from communications import services


@shared_task(acks_late=True, ignore_result=True)
def send_message(message_id: int) -> bool:
    return services.message_send(message_id=message_id)
