"""Keys are dictionary-encoded alike by a dict (few keys) and by Arrow (many)."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from hybridroi.attribution import columns

keys = st.lists(st.none() | st.text(alphabet="abé-_9", min_size=1, max_size=3), max_size=40)


@given(keys)
def test_both_encodings_give_the_same_codes_in_first_seen_order(values: list[str | None]) -> None:
    with patch.object(columns, "_ARROW_FROM", 0):
        by_arrow = columns._encoded(values)
    with patch.object(columns, "_ARROW_FROM", 10**9):
        by_dict = columns._encoded(values)
    assert by_arrow[0].tolist() == by_dict[0].tolist()
    assert by_arrow[1] == by_dict[1]
    # Each value's code is its place in the dictionary; -1 for None.
    dictionary = by_dict[1]
    assert [None if code < 0 else dictionary[code] for code in by_dict[0].tolist()] == values
    assert list(dictionary) == list(dict.fromkeys(v for v in values if v is not None))


def test_text_arrow_cannot_hold_is_encoded_by_the_dict() -> None:
    values = ["cust-\ud800", None, "cust-1", "cust-\ud800"]
    with patch.object(columns, "_ARROW_FROM", 0):
        codes, dictionary = columns._encoded(values)
    assert codes.tolist() == [0, -1, 1, 0]
    assert dictionary == ("cust-\ud800", "cust-1")
