"""Looking a provider call up at Creatify: what a paid call made, and when finding nothing is final.

The provider worker asks these before it ever pays again for a call whose answer never came
(`reelay.logic.provider_jobs`). Every look-up is a free GET; a CreatifyError means Creatify
could not answer it.
"""

from __future__ import annotations

from reelay.deps import Deps
from reelay.logic.callback_urls import callback_url_for, is_our_callback
from reelay.logic.task_lifecycle import video_under_way
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.task import Task
from reelay.models.upstream import ProductToVideo
from reelay.ports.creatify_errors import CreatifyOutcomeUnknown

# HTTP answers to a POST after which Creatify is done with the request: Django's 500 and a
# proxy's 502 come after the backend finished or died, so a look-up made after one of them is
# final. Every other unknown outcome (no answer at all, a 504 or another gateway timeout, an
# unreadable 2xx) may still land or be found later, so only the grace ends it.
SETTLED_BY_ANSWER = frozenset({500, 502})


def remote_past_image(task: Task, deps: Deps) -> ProductToVideo | None:
    assert task.provider_task_id
    remote = deps.creatify.get(task.provider_task_id)
    if video_under_way(remote.status):
        return remote
    return None


def effect_at_creatify(task: Task, job: ProviderJob, deps: Deps) -> ProductToVideo | None:
    """What the job's call made at Creatify, if anything (a free look-up; CreatifyError if it fails)."""
    if job.kind is ProviderJobKind.GEN_VIDEO:
        return remote_past_image(task, deps)
    mine = [r for r in deps.creatify.list() if is_our_callback(task, r.webhook_url, deps)]
    # The oldest is the one the first call made; Reelay never asks twice on purpose.
    return min(mine, key=lambda r: r.created_at) if mine else None


def settled_by_answer(task: Task, job: ProviderJob, deps: Deps, exc: CreatifyOutcomeUnknown) -> bool:
    """Whether a look-up that finds nothing proves the call did nothing (see SETTLED_BY_ANSWER).

    Only when Creatify's answer says the request is over and the look-up could have found it:
    a gen_image made without our callback URL cannot be recognised among the account's tasks.
    """
    recognisable = job.kind is ProviderJobKind.GEN_VIDEO or callback_url_for(task, deps) is not None
    return recognisable and exc.status_code in SETTLED_BY_ANSWER
