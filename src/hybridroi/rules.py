"""Commission rules, their conditions and tier bands: the names a deal is written with.

Every rule is plain data (:mod:`hybridroi.domain.rules`, :mod:`hybridroi.domain.conditions`,
:mod:`hybridroi.domain.tiers`), so a deal can be stored, sent to another service and priced
again with the same result; :mod:`hybridroi.statements` is the engine that applies them. A
rate rule written in Python implements :class:`CustomRule` and reads a :class:`SaleContext`.

>>> from decimal import Decimal
>>> from hybridroi.rules import Band, PercentRate, TieredRate, TierMode
>>> PercentRate(id="base", rate=Decimal("0.12")).rate
Decimal('0.12')
>>> tiers = TieredRate(id="volume", mode=TierMode.VOLUME, bands=[
...     Band(start=0, rate=Decimal("0.05")), Band(start=10_000, rate=Decimal("0.08"))])
>>> [band.rate for band in tiers.bands]
[Decimal('0.05'), Decimal('0.08')]
"""

from __future__ import annotations

from hybridroi.domain.conditions import (
    CategoryIn,
    Condition,
    ContentFormatIn,
    ContentPlatformIn,
    CountryIn,
    CustomerIs,
    OrderValue,
    PromoCodeUsed,
    SkuIn,
)
from hybridroi.domain.rules import (
    Cap,
    CapScope,
    CommissionBase,
    CpmAccrual,
    CpmViews,
    FlatPerItem,
    FlatPerSale,
    GuaranteedMinimum,
    NetworkFee,
    PercentRate,
    PerClick,
    PerLead,
    Precedence,
    RateRule,
    RateScope,
    RecoverableDraw,
    RecurringRate,
    Rule,
    RuleOutcome,
    SubAffiliateOverride,
    ThresholdBonus,
    TieredRate,
)
from hybridroi.domain.tiers import Band, TierBasis, TierMode
from hybridroi.statements.context import CustomRule, SaleContext

__all__ = [
    "Band",
    "Cap",
    "CapScope",
    "CategoryIn",
    "CommissionBase",
    "Condition",
    "ContentFormatIn",
    "ContentPlatformIn",
    "CountryIn",
    "CpmAccrual",
    "CpmViews",
    "CustomRule",
    "CustomerIs",
    "FlatPerItem",
    "FlatPerSale",
    "GuaranteedMinimum",
    "NetworkFee",
    "OrderValue",
    "PerClick",
    "PerLead",
    "PercentRate",
    "Precedence",
    "PromoCodeUsed",
    "RateRule",
    "RateScope",
    "RecoverableDraw",
    "RecurringRate",
    "Rule",
    "RuleOutcome",
    "SaleContext",
    "SkuIn",
    "SubAffiliateOverride",
    "ThresholdBonus",
    "TierBasis",
    "TierMode",
    "TieredRate",
]
