from __future__ import annotations

import pytest

from slmguard import InvalidInputError, load_taxonomy
from slmguard._validation import check_category, check_probability


@pytest.mark.parametrize("value", [1.5, -0.1, "0.5", True, None])
def test_probability_message_names_field_and_value(value: object) -> None:
    with pytest.raises(InvalidInputError, match=r"The 'threshold' must be a float in \[0, 1\]. Got"):
        check_probability(value, name="threshold")


def test_unknown_category_lists_valid_codes() -> None:
    tax = load_taxonomy()
    assert check_category("S1", tax) == "S1"
    with pytest.raises(InvalidInputError, match=r"Unknown category 'S99'.*S1, S2"):
        check_category("S99", tax)
