"""Design help: a commission that matches a flat-fee quote, and a budget split.

:func:`match_flat_fee` answers "the creator quotes EUR 5,000: what commission
rate, or fee plus rate, pays them the same in expectation while lowering our
downside?". It searches the rate by bisection on a grid (the creator's expected
earnings never fall when the rate rises: every commission line is a rounded
product of the rate), pricing every try with the engine on the same draws.

:func:`split_budget` answers "with this budget, which fixed-fee influencers and
commission-only affiliates?". It evaluates each option once, then searches
every combination exhaustively and keeps the one with the best expected ROI
(or profit) whose expected cost fits the budget, and says so in its record.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

from hybridroi.core.checks import enum_member
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money, Rounding, to_decimal
from hybridroi.domain.campaign import Campaign
from hybridroi.domain.deals import AffiliateDeal
from hybridroi.domain.fees import FeeKind, InfluencerFee
from hybridroi.domain.rules import PercentRate
from hybridroi.evaluation.candidates import Candidate, check_forecast
from hybridroi.evaluation.forecast import MARGIN_SCALE, Forecast
from hybridroi.evaluation.pricing import Curve, Synthetic
from hybridroi.evaluation.simulation import DealEvaluation, simulate_curves, to_money
from hybridroi.statements.explain import format_rate

__all__ = [
    "BudgetOption",
    "BudgetSplit",
    "FlatFeeAlternatives",
    "Objective",
    "Proposal",
    "RateTry",
    "match_flat_fee",
    "split_budget",
]

MAX_OPTIONS = 16
"""The exhaustive budget search looks at 2^n combinations; n is limited to this."""


@attrs.frozen(kw_only=True)
class RateTry:
    """One step of the rate search.

    Attributes:
        rate: The commission rate tried.
        creator_earnings: The creator's expected earnings at that rate.
    """

    rate: Decimal
    creator_earnings: Money


@attrs.frozen(kw_only=True)
class Proposal:
    """A fee-plus-rate deal paying the creator at least what the quote pays, in expectation.

    Attributes:
        candidate: The proposed deal.
        fixed_fee: Its fixed part (zero for pure commission).
        rate: Its commission rate: the lowest on the grid that reaches the target.
        evaluation: Its Monte Carlo evaluation, on the same draws as the quote.
        target: The quote's expected creator earnings.
        lowers_downside: Whether the brand's 5th-percentile profit is higher and
            its probability of a loss no higher than under the quote.
        tries: The rates tried by the bisection, in order.
        reason: The result in words.
    """

    candidate: Candidate
    fixed_fee: Money
    rate: Decimal
    evaluation: DealEvaluation
    target: Money
    lowers_downside: bool
    tries: tuple[RateTry, ...]
    reason: str


@attrs.frozen(kw_only=True)
class FlatFeeAlternatives:
    """Alternatives to a flat-fee quote.

    Attributes:
        quote: The quote's evaluation.
        proposals: One proposal per fixed part that can reach the target.
        unreachable: Why the other fixed parts have no proposal.
    """

    quote: DealEvaluation
    proposals: tuple[Proposal, ...]
    unreachable: tuple[str, ...]


def _percent(rate: Decimal) -> str:
    return format_rate(rate)


def match_flat_fee(
    campaign: Campaign,
    quote: Candidate,
    forecast: Forecast,
    *,
    fixed_fees: Sequence[Money] = (),
    rate_step: Decimal | str = Decimal("0.001"),
    draws: int = 2_000,
    seed: int | str = 0,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> FlatFeeAlternatives:
    """Commission rates (pure, or on top of fixed fees) matching a flat-fee quote.

    For each fixed part ``F`` (zero first, then ``fixed_fees``), the lowest rate
    ``r`` on the grid ``rate_step, 2 x rate_step, ... <= 1`` such that the
    creator's expected earnings under "F + r of net sales" reach those of the
    quote. Every try is priced by the engine on the same draws as the quote.

    Args:
        campaign: Gives the partner, currency, time zone and dates.
        quote: The creator's quote: fees only.
        forecast: The funnel and its uncertainty.
        fixed_fees: Fixed parts to try besides pure commission.
        rate_step: The grid of rates (0.001 is a tenth of a percent).
        draws: Monte Carlo scenarios.
        seed: Seed of the scenarios.
        rounding: How expectations become money.

    Returns:
        The quote's evaluation and one proposal per reachable fixed part.

    Raises:
        InvalidValueError: If the quote has a commission deal, a fixed part is
            not in the campaign currency, or the step is not in (0, 1].
    """
    if quote.deal is not None:
        raise InvalidValueError("quote.deal", quote.deal, "a quote made of fees only")
    step = to_decimal(rate_step, "rate_step")
    if not 0 < step <= 1:
        raise InvalidValueError("rate_step", step, "a rate step in (0, 1]")
    check_forecast(campaign, forecast)
    currency = campaign.currency
    synthetic = Synthetic()
    (quoted,) = simulate_curves(
        [Curve(campaign, quote, synthetic)], forecast, draws, seed, rounding
    )
    proposals: list[Proposal] = []
    unreachable: list[str] = []
    for fixed in [Money.zero(currency), *fixed_fees]:
        if fixed.currency != currency:
            raise InvalidValueError("fixed_fees", fixed, f"amounts in {currency}")

        def evaluate(rate: Decimal, fixed: Money = fixed) -> tuple[Candidate, DealEvaluation]:
            candidate = _proposal(quote, campaign, fixed, rate)
            curve = Curve(campaign, candidate, synthetic)
            (result,) = simulate_curves([curve], forecast, draws, seed, rounding)
            return candidate, result

        found = _lowest_rate(evaluate, fixed, step, quoted)
        if isinstance(found, Proposal):
            proposals.append(found)
        else:
            unreachable.append(found)
    return FlatFeeAlternatives(
        quote=quoted, proposals=tuple(proposals), unreachable=tuple(unreachable)
    )


def _lowest_rate(
    evaluate: Callable[[Decimal], tuple[Candidate, DealEvaluation]],
    fixed: Money,
    step: Decimal,
    quoted: DealEvaluation,
) -> Proposal | str:
    """The proposal at the lowest rate on the grid reaching the quote, or why there is none."""
    target = quoted.creator_earnings
    tries: list[RateTry] = []
    low, high = 0, int(1 / step)
    top = evaluate(high * step)
    tries.append(RateTry(rate=high * step, creator_earnings=top[1].creator_earnings))
    if top[1].creator_earnings < target:
        return (
            f"{fixed} + {_percent(high * step)} pays the creator "
            f"{top[1].creator_earnings} < {quoted.creator_earnings} expected from the quote"
        )
    found = top
    # Invariant: the rate low x step falls short, high x step reaches the target.
    while high - low > 1:
        middle = (low + high) // 2
        attempt = evaluate(middle * step)
        tries.append(RateTry(rate=middle * step, creator_earnings=attempt[1].creator_earnings))
        if attempt[1].creator_earnings >= target:
            high, found = middle, attempt
        else:
            low = middle
    candidate, evaluation = found
    rate = high * step
    lowers = (
        evaluation.profit_p5 > quoted.profit_p5
        and evaluation.loss_probability <= quoted.loss_probability
    )
    return Proposal(
        candidate=candidate,
        fixed_fee=fixed,
        rate=rate,
        evaluation=evaluation,
        target=quoted.creator_earnings,
        lowers_downside=lowers,
        tries=tuple(tries),
        reason=(
            f"{candidate.name}: creator expects {evaluation.creator_earnings} "
            f"(quote {quoted.creator_earnings}; {_percent(rate - step)} would fall "
            f"short); brand 5th-percentile profit {evaluation.profit_p5} vs "
            f"{quoted.profit_p5}, probability of a loss "
            f"{float(evaluation.loss_probability):.1%} vs "
            f"{float(quoted.loss_probability):.1%}"
        ),
    )


def _proposal(quote: Candidate, campaign: Campaign, fixed: Money, rate: Decimal) -> Candidate:
    due = min((fee.due for fee in quote.fees if fee.due is not None), default=campaign.start)
    fees = (
        [
            InfluencerFee(
                id=f"{quote.partner_id}-fixed",
                partner_id=quote.partner_id,
                kind=FeeKind.ONE_OFF,
                amount=fixed,
                due=due,
                description="fixed part",
            )
        ]
        if fixed.amount > 0
        else []
    )
    deal = AffiliateDeal(
        id=f"{quote.partner_id}-commission",
        partner_id=quote.partner_id,
        rules=[PercentRate(id="commission", rate=rate)],
    )
    name = f"{_percent(rate)} of sales" if not fees else f"{fixed} + {_percent(rate)}"
    return Candidate(name=name, partner_id=quote.partner_id, fees=fees, deal=deal)


# Budget split ----------------------------------------------------------------------------


class Objective(enum.Enum):
    """What the budget search maximizes."""

    ROI = "roi"
    """Expected ROI: expected profit / expected cost of the whole selection."""
    PROFIT = "profit"
    """Expected profit of the whole selection."""


@attrs.frozen(kw_only=True)
class BudgetOption:
    """A partner the brand could fund, with the deal on offer and its own forecast.

    Attributes:
        candidate: The deal (a fixed fee for an influencer, commission only for an affiliate).
        forecast: What the partner is expected to sell.
    """

    candidate: Candidate
    forecast: Forecast


@attrs.frozen(kw_only=True)
class BudgetSplit:
    """The selection of partners that maximizes the objective within a budget.

    Attributes:
        budget: The budget.
        objective: What was maximized.
        chosen: Names of the selected candidates, sorted; empty when nothing fits.
        fixed_fees: Fees of the selection (certain).
        expected_commissions: Expected variable pay of the selection.
        expected_cost: ``fixed_fees + expected_commissions``; within the budget.
        expected_profit: Expected gross profit less expected cost.
        roi: Expected ROI of the selection; None when nothing is chosen.
        evaluations: Each option's evaluation, sorted by candidate name.
        combinations: Number of combinations searched (2^n - 1).
        within_budget: How many of them fit the budget.
        how: How the split was found, in words.
    """

    budget: Money
    objective: Objective = attrs.field(
        converter=enum_member(Objective)  # type: ignore[misc]
    )
    chosen: tuple[str, ...]
    fixed_fees: Money
    expected_commissions: Money
    expected_cost: Money
    expected_profit: Money
    roi: Fraction | None
    evaluations: tuple[DealEvaluation, ...]
    combinations: int
    within_budget: int
    how: str


def _expected(evaluation: DealEvaluation) -> tuple[Fraction, Fraction]:
    """Exact expected cost and profit, in minor units."""
    count = evaluation.draws
    return (
        Fraction(sum(evaluation.cost_draws), count),
        Fraction(sum(evaluation.profit_draws), count * MARGIN_SCALE),
    )


def split_budget(
    campaign: Campaign,
    budget: Money,
    options: Sequence[BudgetOption],
    *,
    objective: Objective = Objective.ROI,
    draws: int = 2_000,
    seed: int | str = 0,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> BudgetSplit:
    """Choose fixed-fee influencers and commission-only affiliates within a budget.

    Each option is simulated with its own forecast and a seed derived from
    ``seed`` and the candidate's name, so the result does not depend on the
    order of ``options``. Then every non-empty combination is scored exactly
    from the expectations (they add up across partners); a combination fits
    when its expected cost is at most the budget. Ties go to the higher
    expected profit, then to the fewer and alphabetically first names.

    Args:
        campaign: Gives the partners, currency, time zone and dates.
        budget: The most the brand expects to spend.
        options: The partners on offer (at most 16, distinct candidate names).
        objective: Maximize expected ROI (default) or expected profit.
        draws: Monte Carlo scenarios per option.
        seed: Seed of the scenarios.
        rounding: How expectations become money.

    Returns:
        The best selection and the record of the search.

    Raises:
        InvalidValueError: With too many options, duplicate names, or a
            budget in another currency.
    """
    currency = campaign.currency
    if budget.currency != currency or budget.amount < 0:
        raise InvalidValueError("budget", budget, f"Money >= 0 in {currency}")
    if len(options) > MAX_OPTIONS:
        raise InvalidValueError(
            "options", len(options), f"at most {MAX_OPTIONS} options for an exhaustive search"
        )
    ordered = sorted(options, key=lambda option: option.candidate.name)
    names = [option.candidate.name for option in ordered]
    if len(set(names)) != len(names):
        raise InvalidValueError("options", names, "candidates with distinct names")
    evaluations = _evaluate_options(campaign, ordered, draws, seed, rounding)
    expected = [_expected(evaluation) for evaluation in evaluations]
    selection, searched, fitting = _best_selection(
        expected, names, Fraction(budget.minor_units), objective
    )
    cost = sum((expected[i][0] for i in selection), Fraction(0))
    profit = sum((expected[i][1] for i in selection), Fraction(0))
    fixed = sum(evaluations[i].fixed_cost.minor_units for i in selection)
    chosen_names = tuple(names[i] for i in selection)
    method = (
        f"exhaustive search over all {searched} non-empty combinations of {len(ordered)} "
        f"options; {fitting} fit the budget {budget} by expected cost; "
        f"each option priced by the commission engine on {draws:,} draws"
    )
    outcome = (
        f"best {objective.value}: {', '.join(chosen_names)}"
        if chosen_names
        else "no combination fits the budget"
    )
    return BudgetSplit(
        budget=budget,
        objective=objective,
        chosen=chosen_names,
        fixed_fees=Money.from_minor(fixed, currency),
        expected_commissions=to_money(cost - fixed, currency, rounding),
        expected_cost=to_money(cost, currency, rounding),
        expected_profit=to_money(profit, currency, rounding),
        roi=profit / cost if cost > 0 else None,
        evaluations=tuple(evaluations),
        combinations=searched,
        within_budget=fitting,
        how=f"{method}; {outcome}",
    )


def _evaluate_options(
    campaign: Campaign,
    ordered: Sequence[BudgetOption],
    draws: int,
    seed: int | str,
    rounding: Rounding,
) -> list[DealEvaluation]:
    """Each option simulated on its own forecast, with a seed derived from its name."""
    synthetic = Synthetic()
    evaluations: list[DealEvaluation] = []
    for option in ordered:
        check_forecast(campaign, option.forecast)
        curve = Curve(campaign, option.candidate, synthetic)
        (evaluation,) = simulate_curves(
            [curve], option.forecast, draws, f"{seed}:{option.candidate.name}", rounding
        )
        evaluations.append(evaluation)
    return evaluations


def _best_selection(
    expected: Sequence[tuple[Fraction, Fraction]],
    names: Sequence[str],
    limit: Fraction,
    objective: Objective,
) -> tuple[tuple[int, ...], int, int]:
    """The best combination within ``limit``, and how many were searched and fit."""
    best: tuple[tuple[Fraction, Fraction, int, tuple[str, ...]], tuple[int, ...]] | None = None
    searched = fitting = 0
    for size in range(1, len(names) + 1):
        for chosen in itertools.combinations(range(len(names)), size):
            searched += 1
            cost = sum((expected[i][0] for i in chosen), Fraction(0))
            profit = sum((expected[i][1] for i in chosen), Fraction(0))
            if cost > limit:
                continue
            fitting += 1
            if objective is Objective.ROI:
                if cost == 0:
                    continue  # ROI is undefined when nothing is spent
                score = profit / cost
            else:
                score = profit
            # Higher score, then higher profit, then fewer partners, then names in order.
            key = (score, profit, -size, tuple(names[i] for i in chosen))
            if best is None or _better(key, best[0]):
                best = (key, chosen)
    return (best[1] if best is not None else ()), searched, fitting


def _better(
    key: tuple[Fraction, Fraction, int, tuple[str, ...]],
    than: tuple[Fraction, Fraction, int, tuple[str, ...]],
) -> bool:
    if key[:3] != than[:3]:
        return key[:3] > than[:3]
    return key[3] < than[3]
