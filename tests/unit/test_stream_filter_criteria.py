"""The task stream's FilterCriteria, as the local stack's poller applies it (as Lambda does)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelay_local.aws.event_sources import StreamSource, matches_filter
from reelay_local.aws.template import load_template


def template_patterns() -> list[dict[str, Any]]:
    props = load_template()["Resources"]["TaskStreamFunction"]["Properties"]["Events"]["TaskChanges"]
    return [json.loads(f["Pattern"]) for f in props["Properties"]["FilterCriteria"]["Filters"]]


def record(pk: str, sk: str) -> dict[str, Any]:
    return {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}}}


@pytest.mark.parametrize(
    ("pk", "sk", "wanted"),
    [
        ("TASK#1", "TASK", True),
        ("TASK#1", "JOB#gen_image", False),  # a job's slot, claim and credits
        ("TENANT#t", "BUDGET#2026-03-01", False),
        ("TENANT#t", "PROFILE", False),
    ],
)
def test_only_task_items_pass_the_templates_filter(pk, sk, wanted):
    assert any(matches_filter(record(pk, sk), p) for p in template_patterns()) is wanted


def test_a_missing_field_or_another_value_does_not_match_and_an_unknown_rule_is_refused():
    assert not matches_filter({"dynamodb": {}}, {"dynamodb": {"Keys": {"sk": {"S": ["TASK"]}}}})
    assert matches_filter({"a": 1}, {"a": [1, 2]})
    assert not matches_filter({"a": 3}, {"a": [1, 2]})
    with pytest.raises(NotImplementedError):
        matches_filter({"a": "TASK"}, {"a": [{"prefix": "TA"}]})


class _OneShard:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._records = records

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "s-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "it-1"}

    def get_records(self, **_: Any) -> dict[str, Any]:
        records, self._records = self._records, []
        return {"Records": records, "NextShardIterator": "it-2"}


def test_the_poller_drops_filtered_records_before_it_invokes_and_never_retries_them():
    seen: list[list[str]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        seen.append([r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]])
        return {"batchItemFailures": []}

    records = [record("TASK#1", "TASK"), record("TASK#1", "JOB#gen_image"), record("TASK#2", "TASK")]
    for n, r in enumerate(records):
        r["dynamodb"]["SequenceNumber"] = str(n)
    source = StreamSource(
        streams=_OneShard(records),
        stream_arn="arn:stream",
        invoke=invoke,
        filter_patterns=template_patterns(),
    )

    assert source.poll_once() == 2
    assert seen == [["TASK", "TASK"]]
    assert source.poll_once() == 0
