from __future__ import annotations

from django import template

from ledger.money import format_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen as yuan with thousands separators: ``{{ amount_fen|yuan }}``."""
    return format_fen(fen)
