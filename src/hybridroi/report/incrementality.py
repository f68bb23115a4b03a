"""Incrementality: what a holdout test says the campaign added beyond what would have happened.

Lift = (CVR_test - CVR_control) / CVR_control; incremental conversions = conversions_test -
users_test x CVR_control; iROAS = incremental revenue / spend (see docs/report.md).
"""

from __future__ import annotations

from fractions import Fraction

import attrs

from hybridroi.core.checks import instance_of, non_negative_int
from hybridroi.core.errors import InvalidValueError
from hybridroi.core.money import Money
from hybridroi.report.kpis import NO_MARGIN, Kpi, currency_of, ratio, undefined

__all__ = ["Holdout", "Incrementality", "incrementality"]


@attrs.frozen(kw_only=True)
class Holdout:
    """The result of a holdout test: a test group exposed to the campaign and a control group.

    Attributes:
        test_users: Users in the exposed (test) group.
        test_conversions: Conversions in the test group.
        test_revenue: Revenue of the test group.
        control_users: Users in the holdout (control) group.
        control_conversions: Conversions in the control group.
        control_revenue: Revenue of the control group.
    """

    test_users: int = attrs.field(validator=non_negative_int)
    test_conversions: int = attrs.field(validator=non_negative_int)
    test_revenue: Money = attrs.field(validator=instance_of(Money, "a Money amount"))
    control_users: int = attrs.field(validator=non_negative_int)
    control_conversions: int = attrs.field(validator=non_negative_int)
    control_revenue: Money = attrs.field(validator=instance_of(Money, "a Money amount"))

    def __attrs_post_init__(self) -> None:
        if self.test_conversions > self.test_users:
            raise InvalidValueError(
                "Holdout.test_conversions", self.test_conversions, "at most test_users"
            )
        if self.control_conversions > self.control_users:
            raise InvalidValueError(
                "Holdout.control_conversions", self.control_conversions, "at most control_users"
            )
        if self.control_revenue.currency != self.test_revenue.currency:
            raise InvalidValueError(
                "Holdout.control_revenue",
                self.control_revenue,
                f"an amount in {self.test_revenue.currency}",
            )
        for name in ("test_revenue", "control_revenue"):
            if getattr(self, name).amount < 0:
                raise InvalidValueError(f"Holdout.{name}", getattr(self, name), "Money >= 0")


@attrs.frozen(kw_only=True)
class Incrementality:
    """What the campaign caused, measured against a holdout group.

    Attributes:
        lift: ``(CVR test - CVR control) / CVR control``.
        incremental_conversions: ``conversions test - users test x CVR control``.
        incremental_revenue: ``revenue test - users test x revenue control / users control``.
        iroas: ``incremental revenue / spend``.
        incremental_roi: ``(incremental revenue x margin - spend) / spend``.
    """

    lift: Kpi
    incremental_conversions: Kpi
    incremental_revenue: Kpi
    iroas: Kpi
    incremental_roi: Kpi


def incrementality(holdout: Holdout, *, spend: Money, margin: Fraction | None) -> Incrementality:
    """Lift, incremental conversions and revenue, iROAS and incremental ROI from a holdout.

    With ``CVR = conversions / users`` for each group:

    * ``lift = (CVR test - CVR control) / CVR control``
    * ``incremental conversions = conversions test - users test x CVR control``
    * ``incremental revenue = revenue test - users test x (revenue control / users control)``
    * ``iROAS = incremental revenue / spend``
    * ``incremental ROI = (incremental revenue x margin - spend) / spend``

    Args:
        holdout: The test and control groups.
        spend: What the campaign cost.
        margin: Gross margin rate applied to incremental revenue, or ``None``.

    Returns:
        The five figures, each undefined with a reason where a denominator is zero.

    Raises:
        CurrencyMismatchError: If spend and the holdout revenue are in two currencies.
    """
    currency = holdout.test_revenue.currency
    currency_of(spend, holdout.test_revenue)
    t_users = holdout.test_users
    c_users = holdout.control_users
    t_conv = holdout.test_conversions
    c_conv = holdout.control_conversions
    # Each figure below is scaled by control users so that it stays an exact ratio.
    conversions = ratio(
        "incremental_conversions",
        "Incremental conversions",
        "conversions test - users test x CVR control",
        t_conv * c_users - t_users * c_conv,
        c_users,
        denominator_name="control users",
    )
    revenue_top = Fraction(holdout.test_revenue.amount) * c_users - t_users * Fraction(
        holdout.control_revenue.amount
    )
    revenue = attrs.evolve(
        ratio(
            "incremental_revenue",
            "Incremental revenue",
            "revenue test - users test x revenue control / users control",
            revenue_top,
            c_users,
            denominator_name="control users",
        ),
        currency=currency,
    )
    iroas, iroi = _incremental_returns(revenue.value, spend, margin)
    return Incrementality(
        lift=_lift(holdout),
        incremental_conversions=conversions,
        incremental_revenue=revenue,
        iroas=iroas,
        incremental_roi=iroi,
    )


_NO_CONTROL = "the control group is empty"


def _lift(holdout: Holdout) -> Kpi:
    """``(CVR test - CVR control) / CVR control``."""
    formula = "(CVR test - CVR control) / CVR control"
    if holdout.control_users == 0:
        return undefined("lift", "Lift", formula, _NO_CONTROL)
    if holdout.test_users == 0:
        return undefined("lift", "Lift", formula, "the test group is empty")
    cvr_test = Fraction(holdout.test_conversions, holdout.test_users)
    cvr_control = Fraction(holdout.control_conversions, holdout.control_users)
    return ratio(
        "lift",
        "Lift",
        formula,
        cvr_test - cvr_control,
        cvr_control,
        denominator_name="control conversions",
    )


def _incremental_returns(
    incremental: Fraction | None, spend: Money, margin: Fraction | None
) -> tuple[Kpi, Kpi]:
    """The iROAS and incremental ROI of incremental revenue (``None``: no control group)."""
    formula_iroas = "incremental revenue / spend"
    formula_iroi = "(incremental revenue x margin - spend) / spend"
    if incremental is None:
        return (
            undefined("iroas", "iROAS", formula_iroas, _NO_CONTROL),
            undefined("incremental_roi", "Incremental ROI", formula_iroi, _NO_CONTROL),
        )
    iroas = ratio("iroas", "iROAS", formula_iroas, incremental, spend, denominator_name="spend")
    if margin is None:
        return iroas, undefined("incremental_roi", "Incremental ROI", formula_iroi, NO_MARGIN)
    iroi = ratio(
        "incremental_roi",
        "Incremental ROI",
        formula_iroi,
        incremental * margin - Fraction(spend.amount),
        spend,
        denominator_name="spend",
    )
    return iroas, iroi
