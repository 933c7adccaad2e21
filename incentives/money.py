"""Money as people read it, in the tenant's one currency: €12,500.50, $3.20, CHF 40."""

from decimal import Decimal

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    sign = "−" if amount < 0 else ""
    number = f"{abs(amount):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"
