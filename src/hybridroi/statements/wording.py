"""How a sale's commission line is worded: amounts, bases, shares, refunds and notes.

Internal to :mod:`hybridroi.statements.engine`. A :class:`_Wording` holds what the
words need and nothing more (the deal's currency and the run's remembered texts and
amounts), so that lines kept in columns (:mod:`hybridroi.statements.blocks`) are
worded when they are read without keeping the deal's pricer alive.
"""

from __future__ import annotations

from hybridroi.core.money import Money, scaled
from hybridroi.statements.compiled import _Compiled
from hybridroi.statements.drafts import _MEMO_LIMIT, _exact_text, _Sale
from hybridroi.statements.explain import format_minor


class _Wording:
    """The words of a deal's sale lines, in its currency, with the run's memos."""

    __slots__ = ("amounts", "currency", "places", "texts")

    def __init__(
        self, currency: str, places: int, texts: dict[int, str], amounts: dict[int, Money]
    ) -> None:
        self.currency = currency
        self.places = places
        self.texts = texts
        self.amounts = amounts

    def money(self, units: int) -> Money:
        """Money of ``units`` minor units, one object per amount (remembered per run)."""
        amounts = self.amounts
        amount = amounts.get(units)
        if amount is None:
            amount = Money._trusted(scaled(units, -self.places), self.currency)
            if len(amounts) < _MEMO_LIMIT:
                amounts[units] = amount
        return amount

    def amount_text(self, units: int) -> str:
        """An amount in minor units, written as lines write it (remembered per run)."""
        texts = self.texts
        text = texts.get(units)
        if text is None:
            text = format_minor(units, self.currency, self.places)
            if len(texts) < _MEMO_LIMIT:
                texts[units] = text
        return text

    def base_text(self, sale: _Sale) -> str:
        """A sale's commissionable base in words, with its scope and refunds."""
        base = sale.base
        text = self.amount_text(base) if isinstance(base, int) else _exact_text(base, self.currency)
        if sale.scope is not None:
            text += f", {sale.scope}"
        if sale.refunded:
            refunded = format_minor(sale.refunded, sale.conversion.currency)
            text += f" (after {refunded} refunded of {sale.conversion.revenue})"
        return text

    def describe(
        self,
        sale: _Sale,
        compiled: _Compiled,
        body: str,
        units: int,
        *,
        share_inside: bool = False,
    ) -> str:
        """A sale line's explanation: its body, share, amount, refunds and notes."""
        share = sale.share
        if share != 1:
            # A revenue tier prices the partner's share of the sale band by band.
            body = (
                f"{share} share of the sale: {body}" if share_inside else f"{share} share x {body}"
            )
        text = f"{body} = {self.amount_text(units)}"
        if sale.fully_refunded:
            text = f"fully refunded: {text}"
        notes = compiled.notes
        fx = sale.fx
        if fx is not None:
            converted = f"converted from {fx.original} at {fx.rate} ({fx.rate_date.isoformat()})"
            notes = f"{notes}; {converted}" if notes else converted
        return f"{text} [{notes}]" if notes else text
