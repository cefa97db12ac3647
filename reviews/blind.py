"""What an expert on a blind panel may see of an application: no name, organisation,
ID number or contact, anywhere — including inside the title and the summary."""

from __future__ import annotations

import re

from projects.models import Application

MASK = "＊＊＊"


def identities(application: Application) -> list[str]:
    found = []
    if application.organisation is not None:
        found.append(application.organisation.name)
        found.append(application.organisation.credit_code)
        found.append(application.organisation.contact_name)
    if application.person is not None:
        found += [application.person.name, application.person.id_number, application.person.mobile]
    found += [application.contact_name, application.contact_phone]
    # longest first, so a name inside an organisation name is not left half-masked
    return sorted({s for s in found if s and len(s) >= 2}, key=len, reverse=True)


def redact(text: str, application: Application) -> str:
    for identity in identities(application):
        text = text.replace(identity, MASK)
    # any other 18-character ID number or mobile number typed into free text
    # (digit look-arounds, not \b: Chinese characters count as word characters)
    text = re.sub(r"(?<!\d)\d{17}[\dXx](?!\d)", MASK, text)
    return re.sub(r"(?<!\d)1[3-9]\d{9}(?!\d)", MASK, text)
