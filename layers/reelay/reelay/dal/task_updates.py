"""Clauses of a task item's UpdateItem that more than one write makes: a provider call's record.

A provider call is recorded alone (`TaskRepository.attach_provider_task`: a callback that beat
the worker) or with the status step Creatify's answer makes (`TaskRepository.record_call`: the
worker's one write after a paid call); both condition it the same way.
"""

from __future__ import annotations

from reelay.dal.expressions import Expression


def attach_clauses(
    e: Expression, provider_task_id: str, credits_spent: int, job: str | None
) -> tuple[str, list[str], list[str]]:
    """The condition, SET and ADD clauses that record a provider call (see attach_provider_task)."""
    pid = e.name("provider_task_id")
    pid_value = e.value(provider_task_id)
    condition = f"attribute_exists(pk) AND (attribute_not_exists({pid}) OR {pid} = {pid_value})"
    adds = [f"{e.name('credits_spent')} {e.value(credits_spent)}"] if credits_spent else []
    if job is not None:
        charged = e.name("charged_jobs")
        condition += f" AND NOT contains({charged}, {e.value(job)})"
        adds.append(f"{charged} {e.value({job})}")
    return condition, [f"{pid} = {pid_value}"], adds


def update_expression(sets: list[str], removes: list[str], adds: list[str]) -> str:
    """SET, then REMOVE and ADD when there are any: one UpdateExpression."""
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    if adds:
        expression += " ADD " + ", ".join(adds)
    return expression
