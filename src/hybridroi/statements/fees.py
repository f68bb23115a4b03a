"""Fixed fees priced into statement lines: one-off, per deliverable, retainer, seeding, rights.

Each fee gives lines of kind :attr:`LineKind.FEE` in the fee's own currency,
earned when the fee falls due; only what is due at or before ``as_of`` counts.

* One-off, product seeding and usage rights: one line at ``due``
  (key ``fee:<fee id>``).
* Per deliverable: one line per piece of content published at or before
  ``as_of``, in publication order, up to ``max_deliverables``
  (key ``fee:<fee id>:<content id>``, earned at ``Content.published_at``).
* Retainer: one line per occurrence of its RRULE before the campaign's end,
  expanded on the campaign's wall clock (:meth:`InfluencerFee.occurrences`; key
  ``fee:<fee id>:<occurrence in UTC, ISO 8601>``). With ``prorate``, the occurrence
  pays for the days from it to the next occurrence, and only the days inside
  the campaign are paid: amount x covered days / days, counted as calendar
  days in the campaign's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from hybridroi.core.money import Money, Rounding
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.timezones import zone
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.statements.explain import format_minor
from hybridroi.statements.lines import LineKind, StatementLine

__all__ = ["price_fees"]


def _line(
    fee: InfluencerFee, key: str, amount: Money, earned_at: datetime, text: str
) -> StatementLine:
    return StatementLine(
        key=key,
        kind=LineKind.FEE,
        amount=amount,
        rule_id=fee.id,
        explanation=text,
        earned_at=earned_at,
        source_ids=(fee.id,),
    )


def _label(fee: InfluencerFee) -> str:
    return f" ({fee.description})" if fee.description else ""


def _local_days(start: datetime, end: datetime, timezone: str) -> int:
    tz = zone(timezone)
    return (end.astimezone(tz).date() - start.astimezone(tz).date()).days


def _retainer(fee: InfluencerFee, campaign: Campaign, as_of: datetime) -> list[StatementLine]:
    lines = []
    label = _label(fee)
    for occurrence, following in fee.occurrence_periods(campaign.timezone, end=campaign.end):
        if occurrence > as_of:
            break
        # Keyed by the instant in UTC: the same whatever offset the schedule start was written in.
        key = f"fee:{fee.id}:{occurrence.astimezone(UTC).isoformat()}"
        if not fee.prorate:
            lines.append(
                _line(
                    fee, key, fee.amount, occurrence, f"retainer{label} due {occurrence:%Y-%m-%d}"
                )
            )
            continue
        days = _local_days(occurrence, following, campaign.timezone)
        covered_start = max(occurrence, campaign.start)
        covered_end = min(following, campaign.end)
        covered = (
            max(0, _local_days(covered_start, covered_end, campaign.timezone))
            if covered_start < covered_end
            else 0
        )
        exact = fee.amount.exact() * Fraction(covered, days).numerator
        exact_amount = exact.amount / Fraction(covered, days).denominator
        amount = type(exact)(exact_amount, fee.amount.currency).round(rounding=Rounding.HALF_UP)
        text = (
            f"retainer{label} {format_minor(fee.amount.minor_units, fee.amount.currency)} x "
            f"{covered}/{days} days covered by the campaign = {amount}"
        )
        lines.append(_line(fee, key, amount, occurrence, text))
    return lines


def price_fees(
    campaign: Campaign, as_of: datetime
) -> tuple[list[tuple[str, StatementLine]], list[Problem]]:
    """The fee lines of a campaign that are due at or before ``as_of``.

    Args:
        campaign: The campaign, with its fees and contents.
        as_of: The cut-off instant.

    Returns:
        ``(partner id, line)`` pairs, and the problems found (none today: a fee
        that cannot be priced is refused when the fee is built).
    """
    result: list[tuple[str, StatementLine]] = []
    problems: list[Problem] = []
    contents = sorted(campaign.contents, key=lambda content: (content.published_at, content.id))
    for fee in sorted(campaign.fees, key=lambda item: item.id):
        label = _label(fee)
        if fee.kind is FeeKind.RETAINER:
            result.extend((fee.partner_id, line) for line in _retainer(fee, campaign, as_of))
        elif fee.kind is FeeKind.PER_DELIVERABLE:
            wanted = set(fee.content_ids)
            published = [
                content
                for content in contents
                if content.partner_id == fee.partner_id
                and content.published_at <= as_of
                and (not wanted or content.id in wanted)
            ]
            limit = fee.max_deliverables
            for index, content in enumerate(published):
                if limit is not None and index >= limit:
                    problems.append(
                        Problem(
                            kind=ProblemKind.INVALID,
                            subject=f"content:{content.id}",
                            field="max_deliverables",
                            message=(
                                f"fee {fee.id} pays at most {limit} deliverables; this one "
                                "is not paid"
                            ),
                        )
                    )
                    continue
                text = (
                    f"per deliverable{label}: {content.format.value} on "
                    f"{content.platform.value} published {content.published_at:%Y-%m-%d} = "
                    f"{fee.amount}"
                )
                result.append(
                    (
                        fee.partner_id,
                        _line(
                            fee,
                            f"fee:{fee.id}:{content.id}",
                            fee.amount,
                            content.published_at,
                            text,
                        ),
                    )
                )
        elif fee.due is not None and fee.due <= as_of:
            words = fee.kind.value.replace("_", " ")
            text = f"{words}{label} due {fee.due:%Y-%m-%d} = {fee.amount}"
            result.append((fee.partner_id, _line(fee, f"fee:{fee.id}", fee.amount, fee.due, text)))
    return result, problems
