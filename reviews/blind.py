"""What an expert on a blind panel may see of an application: no name, organisation,
ID number or contact, anywhere — including inside the title and the summary."""

from __future__ import annotations

import re

from django.core.exceptions import ObjectDoesNotExist

from accounts.models import Organisation
from projects.models import Application

MASK = "＊＊＊"

# Contacts typed into free text that belong to no record of the application. Digit
# look-arounds, not \b: Chinese characters count as word characters.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# 13812345678, 138-1234-5678, +86 138 1234 5678
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
# 0571-87654321, 0571 87654321, (0571)87654321, 057187654321, 010-12345678 转 801
_LANDLINE = re.compile(
    r"(?<!\d)(?:[(（]0\d{2,3}[)）]|0\d{2,3})[ \-－—–]?\d{7,8}"
    r"(?:\s*(?:[\-－]|转|分机)\s*\d{1,6})?(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _organisation(organisation: Organisation | None) -> list[str]:
    if organisation is None:
        return []
    return [
        organisation.name,
        organisation.credit_code,
        organisation.contact_name,
        organisation.contact_phone,
    ]


def identities(application: Application) -> list[str]:
    """Every name, number and contact of the applicant: the organisation, and for a
    nominated person the person and the organisation that employs them."""
    found = _organisation(application.organisation)
    person = application.person
    if person is not None:
        found += [person.name, person.id_number, person.mobile, person.email]
        found += _organisation(person.organisation)
        try:
            account = person.user
        except ObjectDoesNotExist:
            account = None
        if account is not None:
            found += [account.full_name, account.email]
    found += [application.contact_name, application.contact_phone]
    # longest first, so a name inside an organisation name is not left half-masked
    return sorted({s.strip() for s in found if s and len(s.strip()) >= 2}, key=len, reverse=True)


def redact(text: str, application: Application) -> str:
    for identity in identities(application):
        text = text.replace(identity, MASK)
    # any other ID number, e-mail address, mobile or landline number typed into free text
    for pattern in (_ID_NUMBER, _EMAIL, _MOBILE, _LANDLINE):
        text = pattern.sub(MASK, text)
    return text
