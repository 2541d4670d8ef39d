"""Strict JSON for request bodies: duplicate keys and deep nesting are the caller's mistake."""

from __future__ import annotations

import json

import pytest

from reelay.http.json_bodies import MAX_DEPTH, strict_json_loads


def test_an_ordinary_body_parses_as_json_does() -> None:
    body = '{"a": [1, {"b": "x\\\\\\"[{"}], "c": null}'
    assert strict_json_loads(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        '{"a": 1, "a": 2}',
        '{"x": {"a": 1, "a": 1}}',
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * 100_000,
        "{",
    ],
    ids=["duplicate key", "nested duplicate", "one level too deep", "100000 open brackets", "truncated"],
)
def test_a_body_that_readers_could_disagree_on_or_that_would_crash_the_parser_is_not_json(body: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json_loads(body)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    body = json.dumps({"prompt": "[" * 1000})
    assert strict_json_loads(body) == {"prompt": "[" * 1000}


def test_a_lone_surrogate_is_not_json_a_pair_is_one_character() -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json_loads('{"image_prompt": "\\ud800 alone"}')
    assert strict_json_loads('{"image_prompt": "\\ud83d\\ude00"}') == {"image_prompt": "\U0001f600"}
