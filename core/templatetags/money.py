from django import template

from core.money import format_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen → "1,234.50" (yuan)."""
    return format_fen(fen)
