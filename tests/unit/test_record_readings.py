"""What records read beyond plain types: a Literal constant, a blank choice as None, mixed record kinds."""

from __future__ import annotations

from typing import Literal

import pytest

from reelay.models.records import InvalidRecord, Record, none_if_blank, record
from reelay.models.video_options import MotionStyle


@record
class Cat(Record):
    kind: Literal["cat"] = "cat"
    lives: int = 9


@record
class Dog(Record):
    kind: Literal["dog"] = "dog"
    good: bool = True


@record
class Pen(Record):
    animals: list[Cat | Dog]
    favourite: Cat | Dog | None = None


@record
class Choice(Record):
    strip_whitespace = True

    style: MotionStyle | None = none_if_blank()
    note: str | None = None


def test_a_literal_takes_its_constant_and_refuses_anything_else() -> None:
    assert Cat(kind="cat").kind == "cat"
    with pytest.raises(InvalidRecord) as caught:
        Cat.from_stored({"kind": "dog"})
    assert (caught.value.field, caught.value.wanted) == ("kind", "'cat'")


def test_a_field_of_several_record_kinds_keeps_each_built_record_as_it_is() -> None:
    cat, dog = Cat(lives=3), Dog(good=False)

    pen = Pen(animals=[cat, dog, cat], favourite=dog)

    assert pen.animals == [cat, dog, cat]
    assert pen.favourite is dog
    assert pen.as_json() == {
        "animals": [{"kind": "cat", "lives": 3}, {"kind": "dog", "good": False}, {"kind": "cat", "lives": 3}],
        "favourite": {"kind": "dog", "good": False},
    }


def test_a_field_of_several_record_kinds_still_refuses_what_is_none_of_them() -> None:
    with pytest.raises(InvalidRecord):
        Pen(animals=["a cat"])


def test_a_blank_choice_is_read_as_none_and_only_a_blank_one() -> None:
    assert Choice(style="").style is None
    assert Choice.from_stored({"style": ""}).style is None
    assert Choice(style="display").style is MotionStyle.DISPLAY
    # Only that field: another optional string keeps its "".
    assert Choice(note="").note == ""
    # Whitespace is not stripped from a field that does not hold strings, so it is no blank.
    with pytest.raises(InvalidRecord) as caught:
        Choice(style=" ")
    assert caught.value.field == "style"
