from django import template

from incentives.money import money as money_text

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    return money_text(amount, currency)
