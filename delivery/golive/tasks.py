"""Celery tasks: thin, take ids, idempotent (each service claims its row), acks_late.

Nothing here is ever scheduled hours ahead: due times are columns, the sweep runs every
minute (beat schedule in config/celery.py) and queues these after its claims commit.
"""

from __future__ import annotations

from celery import shared_task

from delivery.golive import services

TASK_OPTIONS = {"acks_late": True, "ignore_result": True}


@shared_task(name="golive.sweep", **TASK_OPTIONS)
def sweep() -> str:
    return str(services.sweep_run())


@shared_task(name="golive.follow_up_remind", **TASK_OPTIONS)
def follow_up_remind(follow_up_id: int) -> bool:
    return services.follow_up_remind(follow_up_id=follow_up_id)


@shared_task(name="golive.follow_up_escalate", **TASK_OPTIONS)
def follow_up_escalate(follow_up_id: int) -> bool:
    return services.follow_up_escalate(follow_up_id=follow_up_id)


@shared_task(name="golive.rollout_step_check", **TASK_OPTIONS)
def rollout_step_check(step_id: int) -> bool:
    return services.rollout_step_check(step_id=step_id)


@shared_task(name="golive.traffic_call_send", **TASK_OPTIONS)
def traffic_call_send(call_id: int) -> bool:
    return services.traffic_call_send(call_id=call_id)


@shared_task(name="golive.probe_run", **TASK_OPTIONS)
def probe_run(delivery_id: int) -> int | None:
    from django.core.exceptions import ObjectDoesNotExist, ValidationError

    try:
        return services.probe_run(delivery_id=delivery_id).pk
    except (ValidationError, ObjectDoesNotExist):
        return None  # no production URL yet: the page says so and offers to re-run
