"""Identity document numbers (xiake/core/identity.py): the GB 11643-1999 check of resident numbers,
the lighter checks of permits and passports, normalisation, masking, and the demo's fake numbers."""

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError

from xiake.core.identity import (
    IdType,
    check_character,
    mask_id_number,
    normalise_id_number,
    validate_id_number,
    validate_resident_id,
)
from xiake.demo.idnumbers import resident_id, unique_resident_id

# The worked examples of GB 11643-1999 (appendix): check characters X and 4 computed by the
# standard itself, not by our code.
STANDARD_X = "11010519491231002X"
STANDARD_4 = "440524188001010014"


def error_code(id_type, value) -> str:
    with pytest.raises(ValidationError) as exc:
        validate_id_number(id_type, value)
    return exc.value.code


def test_the_standards_examples_have_the_check_characters_it_computes():
    assert check_character(STANDARD_X[:17]) == "X"
    assert check_character(STANDARD_4[:17]) == "4"
    assert validate_id_number(IdType.RESIDENT, STANDARD_X) == STANDARD_X


def test_every_wrong_check_digit_is_named_as_such_with_the_right_one():
    for digit in "0123456789":
        with pytest.raises(ValidationError) as exc:
            validate_id_number(IdType.RESIDENT, STANDARD_X[:17] + digit)
        assert exc.value.code == "id_check_digit"
        assert "X" in exc.value.messages[0] and digit in exc.value.messages[0]


def test_a_changed_digit_is_caught_by_the_check_digit():
    changed = STANDARD_X[:14] + "003" + STANDARD_X[17]  # sequence 002 → 003, same check char
    assert error_code(IdType.RESIDENT, changed) == "id_check_digit"


def test_lower_case_x_spaces_dashes_and_full_width_input_are_normalised():
    assert validate_id_number("resident", "11010519491231002x") == STANDARD_X
    assert validate_id_number("resident", " 110105 19491231 002X ") == STANDARD_X
    assert validate_id_number("resident", "110105-19491231-002x") == STANDARD_X
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    assert validate_id_number("resident", full_width) == STANDARD_X
    assert normalise_id_number(full_width) == STANDARD_X


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490231002",  # 31 February
        "11010519491301002",  # month 13
        "11010518991231002",  # before 1900
        "11010530000101002",  # in the future
    ],
)
def test_impossible_dates_of_birth_are_refused(first17):
    number = first17 + check_character(first17)  # a right check digit: the date is the error
    assert error_code("resident", number) == "id_birth_date"


def test_a_date_of_birth_after_today_is_refused_but_today_is_accepted():
    today = dt.date(2026, 3, 1)
    first17 = f"110105{today:%Y%m%d}002"
    validate_resident_id(first17 + check_character(first17), today=today)
    tomorrow = f"110105{today + dt.timedelta(days=1):%Y%m%d}002"
    with pytest.raises(ValidationError):
        validate_resident_id(tomorrow + check_character(tomorrow), today=today)


def test_unknown_province_codes_and_wrong_shapes_are_refused():
    first17 = "99010519491231002"
    assert error_code("resident", first17 + check_character(first17)) == "id_region"
    assert error_code("resident", STANDARD_X[:17]) == "id_shape"  # 17 characters
    assert error_code("resident", STANDARD_X + "1") == "id_shape"
    assert error_code("resident", "1101051949123100AX") == "id_shape"
    assert error_code("resident", "110105491231002") == "id_obsolete"  # the 15-digit generation


def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_pass_as_resident_numbers():
    for region in ("810000", "820000", "830000"):
        first17 = f"{region}19800101001"
        assert validate_id_number("resident", first17 + check_character(first17))


def test_permits_and_passports_get_a_shape_check_only():
    assert validate_id_number(IdType.HK_MACAO, "h12345678") == "H12345678"
    assert validate_id_number(IdType.HK_MACAO, "M1234567890") == "M1234567890"
    assert error_code(IdType.HK_MACAO, "X12345678") == "id_shape"
    assert validate_id_number(IdType.TAIWAN, "12345678") == "12345678"
    assert error_code(IdType.TAIWAN, "1234567") == "id_shape"
    assert validate_id_number(IdType.PASSPORT, "e１２３４５６７８") == "E12345678"
    assert error_code(IdType.PASSPORT, "E1234/5678") == "id_shape"
    # digits only, no check character: nothing like the resident rules applies
    assert validate_id_number(IdType.PASSPORT, "123456789") == "123456789"
    assert error_code(IdType.PASSPORT, STANDARD_X) == "id_shape"  # 18: longer than any passport


def test_an_empty_number_is_empty_and_an_unknown_type_is_refused():
    assert validate_id_number("resident", "  ") == ""
    assert error_code("driving_licence", "12345678") == "id_type"


def test_masking_keeps_four_characters_at_each_end_of_a_resident_number():
    assert mask_id_number(STANDARD_X) == "1101**********002X"
    assert mask_id_number("１１０１０５１９４９１２３１００２ｘ") == "1101**********002X"
    assert mask_id_number("H12345678") == "H*******8"
    assert mask_id_number("E123") == "****"
    assert mask_id_number("") == ""


def test_the_demo_numbers_are_valid_unique_and_reproducible():
    rng, used = random.Random(7), set()
    numbers = [unique_resident_id(rng, used) for _ in range(500)]
    assert len(set(numbers)) == 500
    for number in numbers:
        assert validate_id_number("resident", number) == number
        assert 1960 <= int(number[6:10]) <= 1998
    again = random.Random(7)
    assert resident_id(again) == numbers[0]
