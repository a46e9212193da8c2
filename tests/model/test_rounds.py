"""Round sets: `all`, `3`, `2-4`, `>=3`, `>3`, `<=2`, `<3`, comma lists; parsed, never evaluated."""

from __future__ import annotations

import pytest

from planflow_qt.model.rounds import parse_rounds


@pytest.mark.parametrize(("text", "inside", "outside"), [
    ("all", [1, 2, 50, 9999], []),
    ("", [1, 7], []),
    ("  ALL ", [1, 7], []),
    ("3", [3], [1, 2, 4]),
    ("=3", [3], [2, 4]),
    ("2-4", [2, 3, 4], [1, 5]),
    ("2 - 2", [2], [1, 3]),
    (">=3", [3, 4, 100], [1, 2]),
    (">3", [4, 5], [1, 3]),
    ("<=2", [1, 2], [3]),
    ("<3", [1, 2], [3, 4]),
    ("1,3,5-7", [1, 3, 5, 6, 7], [2, 4, 8]),
    (" 1 , >=10 ", [1, 10, 11], [2, 9]),
    (">=0", [1, 2], []),
])
def test_round_sets_contain_exactly_their_rounds(text, inside, outside):
    rounds = parse_rounds(text)
    assert [r for r in inside if r in rounds] == inside
    assert [r for r in outside if r in rounds] == []


def test_ranges_and_all():
    assert parse_rounds("all").is_all
    assert parse_rounds(">=1").is_all
    assert not parse_rounds(">=2").is_all
    assert parse_rounds("1,3,5-7").ranges == ((1, 1), (3, 3), (5, 7))
    assert parse_rounds(">3").ranges == ((4, None),)
    assert parse_rounds("<3").ranges == ((1, 2),)
    assert parse_rounds("2-4").text == "2-4"


@pytest.mark.parametrize(("text", "message"), [
    ("4-2", "round set '4-2': range 4-2 runs backwards"),
    ("<1", "round set '<1': '<1' contains no round (rounds start at 1)"),
    ("0", "round set '0': '0' contains no round (rounds start at 1)"),
    ("<=0", "round set '<=0': '<=0' contains no round (rounds start at 1)"),
    ("1,,2", "round set '1,,2': cannot read ''; write e.g. 'all', '3', '2-4', '>=3' or '1,3,5'"),
    ("two", "round set 'two': cannot read 'two'; write e.g. 'all', '3', '2-4', '>=3' or '1,3,5'"),
    ("12345", "round set '12345': cannot read '12345'; write e.g. 'all', '3', '2-4', '>=3' or '1,3,5'"),
    ("-3", "round set '-3': cannot read '-3'; write e.g. 'all', '3', '2-4', '>=3' or '1,3,5'"),
    ("=>3", "round set '=>3': cannot read '=>3'; write e.g. 'all', '3', '2-4', '>=3' or '1,3,5'"),
])
def test_unreadable_round_sets_say_what_is_accepted(text, message):
    with pytest.raises(ValueError) as info:
        parse_rounds(text)
    assert str(info.value) == message
