"""The store of a task's publication: each step of putting its video on the shop product, written once.

A publication lives on the task item (`Task.publication`), so every step is a change the task
stream sees. Every write is conditional: a claim lets one worker publish at a time (a claim
whose worker died is taken over once it is stale), and a message of an older claim changes
nothing. The claim's number is the publication's `attempts` after the claim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from reelay.models.media_states import PublicationState
from reelay.models.task import Task


class PublicationStore(Protocol):
    def claim(
        self, task_id: str, *, now: datetime, stale_before: datetime, message_id: str | None = None
    ) -> Task | None:
        """pending → publishing; None if taken.

        A publishing claim may be taken over when it was last held before `stale_before`, or
        when `message_id` (the SQS message) made it: SQS gives a message again only once its
        earlier run ended without deleting it, so the claim's holder is gone.
        """
        ...

    def hold(self, task_id: str, claim: int, *, now: datetime) -> Task | None:
        """Go on under `claim` (refreshing it); None when another claim or an end came since."""
        ...

    def record_media(self, task_id: str, claim: int, media_id: str, *, now: datetime) -> bool:
        """Remember the shop's id of the attached video, under `claim` only."""
        ...

    def finish(
        self,
        task_id: str,
        state: PublicationState,
        *,
        claim: int | None,
        now: datetime,
        reason: str | None = None,
        media_id: str | None = None,
        history: dict[str, Any] | None = None,
    ) -> bool:
        """End the publication (published or failed) once; with `claim`, only under that claim.

        Without a claim, only a publication nobody claimed yet ends (a video archive that failed).
        `history` is appended by the same write.
        """
        ...
