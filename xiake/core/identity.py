"""Identity document numbers (证件号码) of natural persons: validation, masking and storage.

- 居民身份证号码 (resident identity card, GB 11643-1999): 18 characters — a 6-digit region code
  (GB/T 2260; its first two digits a province), the date of birth ``YYYYMMDD``, a 3-digit sequence
  code and a check character computed with ISO 7064 MOD 11-2 (``0``–``9`` or ``X``). The 15-digit
  numbers of the first generation were withdrawn in 2013 and are refused. The residence permits of
  Hong Kong, Macao and Taiwan residents (港澳台居民居住证) use the same scheme with the codes
  810000 / 820000 / 830000, so they pass as resident numbers.
- Passports and the Hong Kong / Macao and Taiwan travel permits have no public check digit: their
  shape is checked (letters and digits of the usual lengths), nothing more.

Input is normalised before anything else: full-width characters folded (NFKC: ``３２０１`` →
``3201``), spaces and dashes dropped, ``x`` upper-cased. :class:`IdNumberField` stores the
normalised number encrypted (an :class:`~xiake.core.crypto.EncryptedCharField`); a
``BlindIndexField(source=…, normaliser="text")`` beside it finds equal numbers. Who sees a number
in full is the policy's ``identity_visible``; everyone else sees :func:`mask_id_number`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiake.core.crypto import EncryptedCharField, blind_index, unique_blind_indexes


class IdType(models.TextChoices):
    """证件类型: the documents a natural person identifies with on a bureau form."""

    RESIDENT = "resident", gettext_lazy("Resident identity card")
    HK_MACAO = "hk_macao", gettext_lazy("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", gettext_lazy("Mainland travel permit for Taiwan residents")
    PASSPORT = "passport", gettext_lazy("Passport")


# GB/T 2260 province-level codes (the first two digits of a region code), with 71 Taiwan and
# 81 / 82 / 83 of the residence permits for Hong Kong, Macao and Taiwan residents.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
# ISO 7064 MOD 11-2 over the first 17 digits: weight of position i is 2^(17-i) mod 11.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

RESIDENT_SHAPE = re.compile(r"^\d{17}[\dX]$")
OTHER_SHAPES = {
    # 港澳居民来往内地通行证 (回乡证): H or M and 8 digits (10 on the older booklets)
    IdType.HK_MACAO: re.compile(r"^[HM]\d{8}(\d{2})?$"),
    # 台湾居民来往大陆通行证 (台胞证): 8 digits (10 on the older booklets)
    IdType.TAIWAN: re.compile(r"^\d{8}(\d{2})?$"),
    # passports of any country: letters and digits
    IdType.PASSPORT: re.compile(r"^[A-Z0-9]{5,17}$"),
}


def normalise_id_number(value) -> str:
    """Full-width folded, spaces and dashes dropped, letters upper-cased."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s\-]+", "", text).upper()


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident number."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def birth_date(number: str) -> dt.date | None:
    """The date of birth in a (normalised, 18-character) resident number, if it is a date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_resident_id(number: str, today: dt.date | None = None) -> None:
    """Raise ``ValidationError`` saying what is wrong with a normalised resident number."""
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _(
                "15-digit numbers of the first-generation card are no longer valid; give the 18-digit number."
            ),
            code="id_obsolete",
        )
    if not RESIDENT_SHAPE.match(number):
        raise ValidationError(
            _("A resident identity number has 18 characters: 17 digits and a digit or X."),
            code="id_shape",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("“%(code)s” is not a region code (the first 6 digits).") % {"code": number[:6]},
            code="id_region",
        )
    born = birth_date(number)
    today = today or dt.date.today()
    if born is None or not (EARLIEST_BIRTH <= born <= today):
        raise ValidationError(
            _("“%(date)s” is not a valid date of birth (digits 7–14).") % {"date": number[6:14]},
            code="id_birth_date",
        )
    expected = check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The check digit is wrong: the last character should be %(expected)s, not %(given)s.")
            % {"expected": expected, "given": number[17]},
            code="id_check_digit",
        )


def validate_id_number(id_type: str, value) -> str:
    """The normalised number, or ``ValidationError`` for a number that cannot be of ``id_type``
    (an empty ``id_type`` means a resident identity card, the usual document)."""
    number = normalise_id_number(value)
    if not number:
        return ""
    id_type = id_type or IdType.RESIDENT
    if id_type == IdType.RESIDENT:
        validate_resident_id(number)
        return number
    shape = OTHER_SHAPES.get(id_type)
    if shape is None:
        raise ValidationError(
            _("“%(value)s” is not a document type.") % {"value": id_type}, code="id_type"
        )
    if not shape.match(number):
        raise ValidationError(
            _("“%(value)s” is not a valid %(type)s number.")
            % {"value": number, "type": IdType(id_type).label},
            code="id_shape",
        )
    return number


def mask_id_number(value) -> str:
    """``320102199001011234`` → ``3201**********1234``: enough to tell two people apart on a
    list, too little to use. Short document numbers keep one character at each end."""
    number = normalise_id_number(value)
    if not number:
        return ""
    if len(number) >= 15:
        return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
    if len(number) >= 6:
        return f"{number[:1]}{'*' * (len(number) - 2)}{number[-1:]}"
    return "****"


class IdNumberField(EncryptedCharField):
    """An identity document number, stored encrypted (see the module docstring).

    ``type_field`` names the model's 证件类型 choice field (absent: resident identity cards only).
    The number is normalised on the way in and checked against the type of the same row: by
    model forms (``full_clean``), the API and the importer (:meth:`clean_row`).
    """

    def __init__(self, *args, type_field: str = "", **kwargs):
        self.type_field = type_field
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.type_field:
            kwargs["type_field"] = self.type_field
        if kwargs.get("max_length") == 32:
            del kwargs["max_length"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_id_number(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalise_id_number(value) if value else value

    def id_type_of(self, values) -> str:
        """The document type in ``values`` (an instance or a dict of field values)."""
        if not self.type_field:
            return IdType.RESIDENT
        if isinstance(values, dict):
            return values.get(self.type_field) or IdType.RESIDENT
        return getattr(values, self.type_field, "") or IdType.RESIDENT

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        # without the instance (a spreadsheet cell) the type is not known yet: clean_row checks
        if value and model_instance is not None:
            validate_id_number(self.id_type_of(model_instance), value)
            if self.taken(value, model_instance.pk):
                raise ValidationError(self.taken_message(), code="id_taken")

    def taken(self, value, pk=None) -> bool:
        """Does another record hold this number where a unique blind index allows one only?"""
        for index in unique_blind_indexes(self.model):
            if index.source == self.name:
                digest = blind_index(value, index.normaliser)
                others = self.model._base_manager.filter(**{index.name: digest})
                if others.exclude(pk=pk).exists() if pk else others.exists():
                    return True
        return False

    def taken_message(self) -> str:
        return _("Another record already has this %(field)s.") % {"field": self.verbose_name}

    def clean_row(self, values: dict) -> None:
        """Check and normalise ``values[self.name]`` against the row's document type (import,
        API); raises ``ValidationError`` with the reason."""
        if values.get(self.name):
            values[self.name] = validate_id_number(self.id_type_of(values), values[self.name])


def row_checked_fields(model) -> list:
    """Fields of ``model`` whose value is checked against other values of the same row."""
    return [f for f in model._meta.concrete_fields if hasattr(f, "clean_row")]
