"""Foreign exchange: a table of rates keyed by date, and recorded conversions.

A rate published for a date is in force from the start of that date (in the
table's time zone, UTC unless said otherwise) until the next published date
for the same pair. Converting an amount uses the rate in force at the event's
instant and returns an :class:`FxConversion` that records the rate and its
date. There is no silent 1:1: a missing rate raises :class:`MissingRateError`.

A pair can be used in the quoted direction only; publish the inverse pair if
you convert both ways, so that every rate used is one you can show.

>>> from datetime import date, datetime, timezone
>>> rates = FxRates.from_rows([("USD", "EUR", date(2026, 3, 2), "0.92")])
>>> result = rates.convert(Money("100.00", "USD"), "EUR",
...                        datetime(2026, 3, 5, 12, tzinfo=timezone.utc))
>>> result.converted, result.rate, result.rate_date
(UnroundedMoney('92.0000', 'EUR'), Decimal('0.92'), datetime.date(2026, 3, 2))
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs

from hybridroi.core.checks import currency_code, tuple_of
from hybridroi.core.errors import InvalidValueError, MissingRateError
from hybridroi.core.money import Money, UnroundedMoney, to_decimal, validate_currency
from hybridroi.core.timezones import require_aware, zone

__all__ = ["FxConversion", "FxRate", "FxRates"]


def _rate(value: str | int | Decimal) -> Decimal:
    return to_decimal(value, "FxRate.rate")


@attrs.frozen(kw_only=True)
class FxRate:
    """One published rate: one unit of ``base`` buys ``rate`` units of ``quote``.

    Attributes:
        base: Currency converted from.
        quote: Currency converted to.
        effective: The date from which the rate is in force.
        rate: Units of ``quote`` per unit of ``base``; positive.
    """

    base: str = attrs.field(validator=currency_code)
    quote: str = attrs.field(validator=currency_code)
    effective: date = attrs.field()
    rate: Decimal = attrs.field(converter=_rate)

    @rate.validator
    def _check_rate(self, _attribute: object, value: Decimal) -> None:
        if value <= 0:
            raise InvalidValueError("FxRate.rate", value, "a rate > 0")

    @effective.validator
    def _check_effective(self, _attribute: object, value: date) -> None:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidValueError("FxRate.effective", value, "a date")


@attrs.frozen(kw_only=True)
class FxConversion:
    """The result of a conversion, with the rate that produced it.

    Attributes:
        original: The amount before conversion.
        converted: The exact converted amount (round it where a rule says so).
        rate: The rate used.
        rate_date: The date the rate was published for.
    """

    original: Money
    converted: UnroundedMoney
    rate: Decimal
    rate_date: date


def _same_currency(amount: Money) -> FxConversion:
    return FxConversion(
        original=amount, converted=amount.exact(), rate=Decimal(1), rate_date=date.min
    )


@attrs.frozen(kw_only=True)
class FxRates:
    """A table of exchange rates keyed by currency pair and date.

    Build it with :meth:`from_rows` or :meth:`from_rates`. Two rates for the same
    pair and date are refused.

    Attributes:
        rates: The published rates.
        timezone: IANA zone in which an instant's date is read to pick a rate.
    """

    rates: tuple[FxRate, ...] = attrs.field(
        converter=tuple_of(FxRate, "an FxRate"),  # type: ignore[misc]
        default=(),
    )
    timezone: str = attrs.field(default="UTC")
    _index: Mapping[tuple[str, str], tuple[list[date], list[Decimal]]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        zone(self.timezone, "FxRates.timezone")
        table: dict[tuple[str, str], dict[date, Decimal]] = {}
        for rate in self.rates:
            by_date = table.setdefault((rate.base, rate.quote), {})
            if rate.effective in by_date and by_date[rate.effective] != rate.rate:
                raise InvalidValueError(
                    f"FxRates.rates[{rate.base}/{rate.quote} {rate.effective}]",
                    rate.rate,
                    f"one rate per pair and date (already {by_date[rate.effective]})",
                )
            by_date[rate.effective] = rate.rate
        index = {
            pair: (sorted(by_date), [by_date[d] for d in sorted(by_date)])
            for pair, by_date in table.items()
        }
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[str, str, date, str | int | Decimal]], *, timezone: str = "UTC"
    ) -> FxRates:
        """Build a table from ``(base, quote, effective_date, rate)`` rows."""
        rates = [
            FxRate(base=b, quote=q, effective=d, rate=to_decimal(r, "FxRate.rate"))
            for b, q, d, r in rows
        ]
        return cls(rates=tuple(rates), timezone=timezone)

    def rate_at(self, base: str, quote: str, instant: datetime) -> tuple[Decimal, date]:
        """The rate in force for ``base`` -> ``quote`` at ``instant`` and its date.

        Raises:
            MissingRateError: If no rate for the pair is in force at that instant.
            NaiveDatetimeError: If ``instant`` has no time zone.
        """
        require_aware(instant, "instant")
        if base == quote:
            return Decimal(1), date.min
        day = instant.astimezone(ZoneInfo(self.timezone)).date()
        series = self._index.get((base, quote))
        if series is None:
            raise MissingRateError(f"no {base}/{quote} rate in the FX table")
        dates, values = series
        position = bisect.bisect_right(dates, day) - 1
        if position < 0:
            raise MissingRateError(
                f"no {base}/{quote} rate in force on {day.isoformat()}: "
                f"the first published rate is for {dates[0].isoformat()}"
            )
        return values[position], dates[position]

    def convert(self, amount: Money, currency: str, instant: datetime) -> FxConversion:
        """Convert ``amount`` into ``currency`` at the rate in force at ``instant``.

        Returns:
            An :class:`FxConversion` with the exact converted amount and the rate
            used. Converting into the same currency uses rate 1.

        Raises:
            MissingRateError: If no rate is in force.
        """
        validate_currency(currency, "currency")
        if amount.currency == currency:
            return _same_currency(amount)
        rate, rate_date = self.rate_at(amount.currency, currency, instant)
        return FxConversion(
            original=amount,
            converted=UnroundedMoney(amount.amount, currency) * rate,
            rate=rate,
            rate_date=rate_date,
        )
