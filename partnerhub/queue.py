"""Handing work to the Celery queue, and saying so plainly when the queue cannot take it."""

from collections.abc import Callable

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

QUEUE_UNAVAILABLE = "The task queue is unavailable, nothing was started. Try again in a moment."


class QueueUnavailable(Exception):
    def __init__(self):
        super().__init__(QUEUE_UNAVAILABLE)


def enqueue_on_commit(task: Task, *, undo: Callable[[], None], **kwargs) -> None:
    """Publish `task` once the current transaction commits (at once outside one).

    When the broker cannot take it, `undo` removes what was made for it and QueueUnavailable
    reaches the caller, so no record waits for a task that will never come.
    """

    def publish():
        try:
            task.apply_async(kwargs=kwargs, retry=False)
        except OperationalError as error:
            undo()
            raise QueueUnavailable from error

    transaction.on_commit(publish)
