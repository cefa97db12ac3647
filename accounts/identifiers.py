"""Chinese identifiers: the 统一社会信用代码 (GB 32100-2015) of an organisation and the
公民身份号码 (GB 11643-1999) of a person. Normalise first (full-width forms made ASCII,
spaces out, upper case), then validate: digits are 0–9 only (``str.isdigit`` also says
yes to ², ٣ and ①, which ``int`` then refuses), then the check digit. Masking is for
every page and download but admin's."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import clock

# GB 32100: 31 characters, no I, O, Z, S, V.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_SPACES = re.compile(r"[\s\u3000\-]+")
# A Chinese input method in full-width mode types １２３ and ＡＢＣ: those are read as
# ASCII. No other compatibility form is (NFKC would make a superscript ² a 2, a digit
# nobody typed); such characters are refused by name.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_DIGITS = re.compile(r"[0-9]+")
_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def normalise(value: str) -> str:
    """Full-width letters and digits made ASCII; spaces (also full-width) and hyphens
    removed; upper-case."""
    return _SPACES.sub("", (value or "").translate(_FULL_WIDTH)).upper()


def _other_digit(code: str) -> str | None:
    """The first character that is a digit or a number but not 0–9 (², ٣, ३, ①, 三)."""
    return next((c for c in code if not c.isascii() and (c.isdigit() or c.isnumeric())), None)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = normalise(value)
    other = _other_digit(code)
    if other is not None:
        raise ValidationError(
            _(
                "The unified social credit code contains “%(char)s”, which is not one of the "
                "digits 0–9; type it again with ordinary digits."
            ),
            code="digits",
            params={"char": other},
        )
    if len(code) != 18:
        raise ValidationError(
            _("The unified social credit code must have 18 characters (it has %(n)d)."),
            code="length",
            params={"n": len(code)},
        )
    bad = [c for c in code if c not in CREDIT_CODE_CHARSET]
    if bad:
        raise ValidationError(
            _("The unified social credit code contains a character that is not allowed: %(c)s."),
            code="charset",
            params={"c": bad[0]},
        )
    if not _DIGITS.fullmatch(code[2:8]):
        raise ValidationError(
            _(
                "Characters 3–8 of the unified social credit code must be the "
                "administrative division code (digits)."
            ),
            code="division",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check digit of the unified social credit code is wrong; please check the code."),
            code="check",
        )


def id_number_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_birth_date(code: str) -> dt.date | None:
    if not _DIGITS.fullmatch(code[6:14]):
        return None
    try:
        return dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    code = normalise(value)
    other = _other_digit(code)
    if other is not None:
        raise ValidationError(
            _(
                "The ID card number contains “%(char)s”, which is not one of the digits 0–9; "
                "type it again with ordinary digits."
            ),
            code="digits",
            params={"char": other},
        )
    if not _ID_FORMAT.fullmatch(code):
        raise ValidationError(
            _("The ID card number must be 17 digits followed by a digit or X."), code="format"
        )
    birth = id_number_birth_date(code)
    if birth is None or birth.year < 1900 or birth > clock.today():
        raise ValidationError(
            _("The ID card number contains an impossible date of birth."), code="birth"
        )
    if id_number_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check digit of the ID card number is wrong; please check the number."),
            code="check",
        )


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110101********1234``."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    digits = value or ""
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(value: str) -> str:
    """Public pages show 张* / 欧阳** (surname kept)."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
