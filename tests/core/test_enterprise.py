import pytest

from skills_vc.core.enterprise import format_enterprise_number, normalize_enterprise_number
from skills_vc.errors import ValidationFailed


@pytest.mark.parametrize(
    "text", ["0412.345.020", "0412345020", "BE0412345020", "BE 0412.345.020", " be0412 345 020 ", "412345020"]
)
def test_accepted_forms_normalise_to_ten_digits(text: str) -> None:
    assert normalize_enterprise_number(text) == "0412345020"


@pytest.mark.parametrize(
    "text",
    ["0412.345.021", "0412345", "04123450200", "2412345020", "BE04123450AB", "", "FR0412345020"],
)
def test_invalid_numbers_are_refused_with_a_stable_code(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_enterprise_number(text)
    assert caught.value.code == "invalid_enterprise_number"


def test_display_form() -> None:
    assert format_enterprise_number("0412345020") == "0412.345.020"
