"""Sub-affiliate overrides: a parent partner's share of its recruits' commission lines.

Internal to :mod:`hybridroi.statements.engine`, which runs it once every deal is
priced, so that each child line is final (after the child's caps). Each commission
line of a child gives the parent one line: ``share`` of the child line's amount,
converted into the parent deal's currency at the rate in force at the line's
instant, rounded once by the parent deal's rounding. Lines that are overrides
themselves are never overridden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from hybridroi.core.errors import MissingRateError
from hybridroi.core.fx import FxConversion
from hybridroi.core.money import Money, minor_unit
from hybridroi.core.problems import Problem, ProblemKind
from hybridroi.core.rounding import round_ratio
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.rules import SubAffiliateOverride
from hybridroi.statements.explain import format_minor, format_rate
from hybridroi.statements.lines import LineKind, StatementLine

OVERRIDE_PREFIX = "override:"
"""How the key of every override line starts."""


def override_lines(
    campaign: Campaign,
    deal: AffiliateDeal,
    lines_of: Callable[[str], Iterable[StatementLine]],
    problems: list[Problem],
) -> list[StatementLine]:
    """The override lines a parent's deal earns on its children's commission lines.

    Args:
        campaign: The campaign (partners, FX rates).
        deal: The parent's deal.
        lines_of: Every statement line of a partner so far, by partner id.
        problems: Where a missing FX rate or an unknown child is reported.

    Returns:
        The parent's override lines, ordered by rule, child and child line key.
    """
    currency = campaign.deal_currency(deal)
    places = minor_unit(currency)
    partners = {partner.id for partner in campaign.partners}
    found: list[StatementLine] = []
    for rule in deal.rules:
        if not isinstance(rule, SubAffiliateOverride):
            continue
        numerator, denominator = rule.share.as_integer_ratio()
        share_text = format_rate(rule.share)
        for child in rule.children:
            if child not in partners:
                problems.append(
                    Problem(
                        kind=ProblemKind.INVALID,
                        subject=f"deal:{deal.id}",
                        field=f"rules[{rule.id}].children",
                        message=(
                            f"override {rule.id} names partner {child}, who is not a partner "
                            "of the campaign; nothing was paid for it"
                        ),
                    )
                )
                continue
            children_lines = sorted(
                (
                    line
                    for line in lines_of(child)
                    if line.kind is LineKind.COMMISSION and not line.key.startswith(OVERRIDE_PREFIX)
                ),
                key=lambda line: (line.key, line.amount.currency),
            )
            for line in children_lines:
                fx: FxConversion | None = None
                original = line.amount
                if original.currency == currency:
                    exact = Fraction(original.minor_units)
                else:
                    try:
                        fx = campaign.fx.convert(original, currency, line.earned_at)
                    except MissingRateError as error:
                        problems.append(
                            Problem(
                                kind=ProblemKind.CURRENCY,
                                subject=f"deal:{deal.id}",
                                field=f"rules[{rule.id}]",
                                message=(
                                    f"{error}; the override on {child}'s line {line.key} "
                                    "was not paid"
                                ),
                            )
                        )
                        continue
                    exact = Fraction(fx.converted.amount) * 10**places
                exact *= numerator
                units = round_ratio(_exact(exact), denominator, deal.rounding)
                text = (
                    f"{share_text} override on {child}'s commission of {original} = "
                    f"{format_minor(units, currency, places)}"
                )
                if fx is not None:
                    converted = (
                        f"converted from {fx.original} at {fx.rate} ({fx.rate_date.isoformat()})"
                    )
                    text += f" [{converted}]"
                found.append(
                    StatementLine(
                        key=f"{OVERRIDE_PREFIX}{rule.id}:{child}:{line.key}",
                        kind=LineKind.COMMISSION,
                        amount=Money.from_minor(units, currency),
                        rule_id=rule.id,
                        explanation=text,
                        earned_at=line.earned_at,
                        source_ids=line.source_ids,
                        fx=fx,
                    )
                )
    return found


def _exact(value: Fraction) -> int | Fraction:
    return value.numerator if value.denominator == 1 else value
