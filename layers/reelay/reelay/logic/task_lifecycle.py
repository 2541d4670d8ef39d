"""What each task status sets in motion: the one place to read what happens on image_generated.

| status           | auto_video | waits on  | on entering (task stream)   | when quiet (reconciler)         |
| ---------------- | ---------- | --------- | --------------------------- | ------------------------------- |
| initializing     | either     | Creatify  | queue gen_image             | no Creatify task: gen_image     |
| image_generating | either     | Creatify  | -                           | re-read from Creatify           |
| image_generated  | on         | Creatify  | queue gen_video;            | Creatify at image_generated:    |
|                  |            |           | archive the photo           | gen_video; else re-read         |
| image_generated  | off        | its owner | archive the photo; announce | - (off the reconciler's list)   |
|                  |            |           | the preview once it settled |                                 |
| video_generating | either     | Creatify  | -                           | re-read from Creatify           |
| video_generated  | -          | nobody    | archive the video; announce | -                               |
|                  |            |           | once it settled             |                                 |
| failed           | -          | nobody    | announce                    | -                               |

"Archive" queues an archive job for the media worker (`archive_media`), carrying the tenant
and Creatify's URL from the task as entered (`archive_job`). "Once it settled":
the announcement (event, SNS message, webhook) waits until that asset's archive is archived or
failed, so what it says about `media` is final; the task stream makes it when it sees the
media worker's write that settles the asset (or on entering the row, if it had settled before).
A preview approved before its photo settled is not announced any more (its owner moved on).

Reviewing a preview is possible only at image_generated with auto_video off (and before it
was regenerated):
- approving (`POST .../video`) turns auto_video on, so the row "image_generated, on" applies
  from then: gen_video is queued and the task waits on Creatify again;
- rejecting (`POST .../reject`) ends the task failed, "rejected: <reason>";
- regenerating (`POST .../regenerate`) makes a new task whose first job is regen_image
  instead of gen_image; the old task keeps its status and waits for nobody any more;
- a review deadline (per task, from its connection or its submission) puts the waiting
  preview on the reconciler's list for when the deadline passes, which then approves or
  rejects it as the deadline says.
A task waiting on Creatify longer than the provider timeout fails, whatever its row.

Everyone asks this module: the task stream (`dispatch`), the reconciler (`reconcile`), the
provider worker (`provider_jobs`), the approval (`request_video`), and every status step
(`apply_update`), which tells the store whether the task stays on the reconciler's list.
Which statuses may follow which is the status machine's rule (`reelay.models.status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from reelay.models.jobs import ArchiveJob, ProviderJobKind
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.status import RANK, TaskStatus, ranks_below
from reelay.models.task import ReviewDeadlineAction, StatusUpdate, Task
from reelay.models.task_history import Actor
from reelay.ports.stores import Transition

S = TaskStatus


class WaitsOn(StrEnum):
    CREATIFY = "creatify"
    OWNER = "owner"  # a preview waiting for review
    NOBODY = "nobody"  # finished


class Reaction(StrEnum):
    """What the task stream does when a task enters a row of the table."""

    QUEUE_GEN_IMAGE = "queue_gen_image"
    QUEUE_GEN_VIDEO = "queue_gen_video"
    ANNOUNCE = "announce"


@dataclass(frozen=True)
class StatusRule:
    waits_on: WaitsOn
    on_entering: Reaction | None
    # The provider job that takes a task on from this row; the reconciler queues it again when
    # the task sat quiet and the job shows no trace (lost, e.g. to the dead-letter queue).
    moved_on_by: ProviderJobKind | None
    # The asset archived on entering this row; an announcement waits for it to settle.
    archives: MediaAsset | None = None


def _either(rule: StatusRule) -> dict[bool, StatusRule]:
    return {True: rule, False: rule}


# RULES[status][auto_video]: the table in the module docstring, row for row.
RULES: dict[TaskStatus, dict[bool, StatusRule]] = {
    S.INITIALIZING: _either(
        StatusRule(WaitsOn.CREATIFY, Reaction.QUEUE_GEN_IMAGE, ProviderJobKind.GEN_IMAGE)
    ),
    S.IMAGE_GENERATING: _either(StatusRule(WaitsOn.CREATIFY, None, None)),
    S.IMAGE_GENERATED: {
        True: StatusRule(
            WaitsOn.CREATIFY, Reaction.QUEUE_GEN_VIDEO, ProviderJobKind.GEN_VIDEO, MediaAsset.PHOTO
        ),
        False: StatusRule(WaitsOn.OWNER, Reaction.ANNOUNCE, None, MediaAsset.PHOTO),
    },
    S.VIDEO_GENERATING: _either(StatusRule(WaitsOn.CREATIFY, None, None)),
    S.VIDEO_GENERATED: _either(StatusRule(WaitsOn.NOBODY, Reaction.ANNOUNCE, None, MediaAsset.VIDEO)),
    S.FAILED: _either(StatusRule(WaitsOn.NOBODY, Reaction.ANNOUNCE, None)),
}

# Where a preview waits for its owner, and the only status a video can be asked for from.
REVIEW_STATUS = S.IMAGE_GENERATED
# Creatify statuses that show a gen_video call took effect.
_VIDEO_UNDER_WAY = frozenset(s for s, rank in RANK.items() if rank > RANK[S.IMAGE_GENERATED]) | {S.FAILED}


def rule_for(status: TaskStatus, auto_video: bool) -> StatusRule:
    return RULES[TaskStatus(status)][auto_video]


def waits_on_provider(status: TaskStatus, auto_video: bool) -> bool:
    """Whether a task at `status` still waits on Creatify, so the reconciler should look at it."""
    return rule_for(status, auto_video).waits_on is WaitsOn.CREATIFY


def reaction_to(old: Task | None, new: Task) -> Reaction | None:
    """What the task stream does for a committed change: the reaction of the row just entered.

    Only entering a row counts: a change within the row (a recorded delivery, a provider id,
    a reconciler check) and every repeat of a record set nothing in motion. When the
    announcement is made is `announcement_due`'s to say: it may wait for an archive.
    """
    if not _entered(old, new):
        return None
    return rule_for(new.status, new.auto_video).on_entering


def _entered(old: Task | None, new: Task) -> bool:
    return old is None or (old.status, old.auto_video) != (new.status, new.auto_video)


def archive_to_queue(old: Task | None, new: Task) -> MediaAsset | None:
    """The asset whose copy the task stream queues for this change: on entering its status only.

    An approval moves a preview to the other image_generated row, whose photo is queued already.
    """
    if old is not None and old.status == new.status:
        return None
    return rule_for(new.status, new.auto_video).archives


def archive_job(task: Task, asset: MediaAsset) -> ArchiveJob:
    """The job that archives `asset` of the task as the task stream saw it: all the copy needs.

    The media worker then reads nothing (`reelay.logic.archive_media`); `source_url` is None
    when Creatify gave no such file, which the worker records as the asset's failure.
    """
    url = task.generated_photo_url if asset is MediaAsset.PHOTO else task.generated_video_url
    return ArchiveJob(task_id=task.id, asset=asset, tenant_id=task.tenant_id, source_url=url)


def archive_settled(task: Task, asset: MediaAsset) -> bool:
    file = task.archive.get(MediaAsset(asset).value)
    return file is not None and file.state is not ArchiveState.PENDING


def announcement_due(old: Task | None, new: Task) -> bool:
    """Whether the task stream announces the task for this change.

    A row that announces without an archive (failed) does so on entering. One that waits for
    its archive announces once: on entering with the asset settled already, or when the asset
    settles while the task is in the row. Every other change (a claim, a recorded retry, a
    delivery record) and every repeat of a record announces nothing.
    """
    rule = rule_for(new.status, new.auto_video)
    if rule.on_entering is not Reaction.ANNOUNCE:
        return False
    if rule.archives is None:
        return _entered(old, new)
    if not archive_settled(new, rule.archives):
        return False
    return old is None or _entered(old, new) or not archive_settled(old, rule.archives)


def image_job(task: Task) -> ProviderJobKind:
    """The job that makes a task's preview: regen_image when it regenerates another task's."""
    return ProviderJobKind.REGEN_IMAGE if task.regen_source_id else ProviderJobKind.GEN_IMAGE


def awaits_review(task: Task) -> bool:
    """Whether the task's preview waits for its owner's decision (approve, regenerate, reject)."""
    return rule_for(task.status, task.auto_video).waits_on is WaitsOn.OWNER and not task.regenerated_as


def review_hold(task: Task, recheck_after: timedelta) -> timedelta | None:
    """How long after its preview arrives the reconciler should come back for a review deadline.

    The reconciler takes a task once it has been quiet for `recheck_after`, so the task is put
    on its list that much before the deadline. None when the task has no deadline to keep.
    """
    if not task.review_deadline_hours or task.review_deadline_action is ReviewDeadlineAction.NONE:
        return None
    return max(timedelta(0), timedelta(hours=task.review_deadline_hours) - recheck_after)


def review_decision(update: StatusUpdate) -> Transition:
    """The write of an owner's decision on a preview: it holds only while the preview still waits."""
    return Transition(
        update=update,
        allowed_from=frozenset({REVIEW_STATUS}),
        stays_open=waits_on_provider(update.status, auto_video=False),
        assumes_auto_video=False,
        by=Actor.REVIEW,
    )


def lost_job(task: Task, creatify_status: TaskStatus | None) -> ProviderJobKind | None:
    """The provider job a quiet task waits for although nothing shows it was ever made, or None.

    gen_image left no trace when the task still has no Creatify task; gen_video when Creatify
    shows the preview done and nothing after it.
    """
    job = rule_for(task.status, task.auto_video).moved_on_by
    if job is ProviderJobKind.GEN_IMAGE:
        return image_job(task) if not task.provider_task_id else None
    if job is ProviderJobKind.GEN_VIDEO:
        return job if creatify_status is S.IMAGE_GENERATED else None
    return None


def video_under_way(creatify_status: TaskStatus) -> bool:
    """Whether Creatify's status shows that a gen_video call already took effect."""
    return creatify_status in _VIDEO_UNDER_WAY


def step_for(
    update: StatusUpdate,
    auto_video: bool,
    *,
    review_hold: timedelta | None = None,
    now: datetime | None = None,
) -> Transition:
    """The conditional write that applies `update` to a task with this auto_video, forward only.

    With `review_hold` (see `review_hold()`), a preview that will wait for review stays on the
    reconciler's list, coming up when its review deadline passes.
    """
    stays_open = waits_on_provider(update.status, auto_video)
    open_since = None
    if (
        review_hold is not None
        and now is not None
        and rule_for(update.status, auto_video).waits_on is WaitsOn.OWNER
    ):
        stays_open, open_since = True, now + review_hold
    # When the two rows of the new status differ, the write holds only for the auto_video it
    # assumed: an approval committed meanwhile must not be closed by a stale decision.
    depends = rule_for(update.status, True).waits_on is not rule_for(update.status, False).waits_on
    return Transition(
        update=update,
        allowed_from=frozenset(ranks_below(update.status)),
        stays_open=stays_open,
        assumes_auto_video=auto_video if depends else None,
        open_since=open_since,
    )
