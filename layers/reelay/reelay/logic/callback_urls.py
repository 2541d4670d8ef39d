"""The URL Creatify calls back on for one task, or None when Reelay relies on polling."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.models.task import Task
from reelay.security.callback_tokens import CallbackUrlTooLong

logger = Logger(child=True)


def callback_url_for(task: Task, deps: Deps) -> str | None:
    if deps.settings.callbacks_disabled:
        return None
    base = deps.settings.public_base_url or task.callback_base_url
    if not base:
        return None
    try:
        return deps.callback_signer.callback_url(base, task.id)
    except CallbackUrlTooLong:
        # Still correct without callbacks: the reconciler polls open tasks.
        logger.warning("callback URL too long for Creatify; relying on polling", extra={"base": base})
        return None


def is_our_callback(task: Task, webhook_url: str | None, deps: Deps) -> bool:
    """Whether a provider task carries the callback URL Reelay made for `task` (so it is ours)."""
    expected = callback_url_for(task, deps)
    return expected is not None and webhook_url == expected
