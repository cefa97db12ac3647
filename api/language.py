"""The language of an API response: Chinese unless the request's Accept-Language
prefers English. (Pages take the language from the cookie only; a machine client has no
cookie, so here the header decides.)"""

from __future__ import annotations

from django.conf import settings

MAX_HEADER = 200


def language_of(header: str) -> str:
    """``zh-hans`` or ``en``: the supported language the header ranks highest."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        if quality <= 0 or not tag:
            continue
        if tag == "en" or tag.startswith("en-"):
            ranked.append((-quality, position, "en"))
        elif tag == "zh" or tag.startswith("zh-"):
            ranked.append((-quality, position, "zh-hans"))
    if not ranked:
        return str(settings.LANGUAGE_CODE)
    return min(ranked)[2]
