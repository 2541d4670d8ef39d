"""Queue messages are read back strictly: the field at fault is named, nothing unknown passes."""

from __future__ import annotations

import pytest

from reelay.models.jobs import ArchiveJob, DeliveryJob, ProviderJob, ProviderJobKind, PublishJob, PublishStage
from reelay.models.media_states import MediaAsset
from reelay.models.records import InvalidRecord


@pytest.mark.parametrize(
    "job",
    [
        ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id="t", job_id="j", retries=2),
        DeliveryJob(task_id="t", event_id="e", attempt=3, not_before=1.5, payload={"a": [1]}, replay=1),
        ArchiveJob(
            task_id="t", asset=MediaAsset.VIDEO, attempt=1, tenant_id="acme", source_url="https://x/v"
        ),
        PublishJob(task_id="t", stage=PublishStage.CHECK, claim=2, checks=4, checking_since=10.0),
    ],
)
def test_a_message_reads_back_as_it_was_written(job) -> None:
    assert type(job).from_json(job.to_json()) == job


def test_a_message_written_by_the_pydantic_version_reads_the_same() -> None:
    # As the version before wrote it (model_dump_json): every field, None as null, whole floats as 0.0.
    body = (
        '{"task_id":"t","event_id":"e","attempt":0,"not_before":0.0,"payload":null,"replay":0,'
        '"webhook_url":null,"tenant_id":null}'
    )
    assert DeliveryJob.from_json(body) == DeliveryJob(task_id="t", event_id="e")
    assert DeliveryJob.from_json(body).to_json() == body


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('{"task_id":"t"}', "DeliveryJob.event_id: missing"),
        ('{"task_id":"t","event_id":"e","attempt":-1}', "DeliveryJob.attempt: -1 is negative"),
        ('{"task_id":"t","event_id":"e","atempt":1}', "DeliveryJob.atempt: not a field"),
        ('{"task_id":1,"event_id":"e"}', "DeliveryJob.task_id: 1 is not a string"),
        ('{"task_id":"t","event_id":"e","attempt":true}', "DeliveryJob.attempt: True is not a whole number"),
        ('{"task_id":"t","event_id":"e","not_before":"x"}', "DeliveryJob.not_before: 'x' is not a number"),
        ("[1]", "DeliveryJob: [1] is not a record"),
        ("not json", "DeliveryJob: the body is not JSON"),
    ],
)
def test_a_message_that_is_not_what_it_says_is_refused_naming_the_field(body: str, named: str) -> None:
    with pytest.raises(InvalidRecord) as refused:
        DeliveryJob.from_json(body)
    assert str(refused.value).startswith(named)


def test_an_archive_job_for_an_asset_reelay_does_not_keep_is_refused() -> None:
    with pytest.raises(InvalidRecord) as refused:
        ArchiveJob.from_json('{"task_id":"t","asset":"gif"}')
    assert str(refused.value) == "ArchiveJob.asset: 'gif' is not one of photo, video"
