"""Credit records: the output of attribution and the input of the commission engine."""

from __future__ import annotations

import enum
from collections.abc import Callable
from fractions import Fraction

import attrs

from hybridroi.core.checks import enum_member
from hybridroi.core.money import Money
from hybridroi.core.problems import Problem

__all__ = ["AttributionResult", "Credit", "CreditRole"]


class CreditRole(enum.Enum):
    """The part a partner played in a sale."""

    SOLE = "sole"
    """The only partner credited."""
    INTRODUCER = "introducer"
    """Created the desire: the first (influencer) touch of a shared sale."""
    CLOSER = "closer"
    """Closed the sale: the last touch of a shared sale."""
    ASSIST = "assist"
    """Contributed between the introducer and the closer."""


@attrs.frozen(kw_only=True)
class Credit:
    """A partner's share of one conversion.

    Attributes:
        conversion_id: The credited conversion.
        partner_id: The partner credited.
        share: Exact share of the conversion, in (0, 1]; the shares of one
            conversion sum to exactly 1.
        role: The part the partner played.
        touch_id: The touch that earned the credit (the partner's decisive touch).
        content_id: The content of that touch, if known.
        revenue: The partner's part of the conversion's net revenue, allocated
            exactly (the parts of one conversion sum to its revenue).
        reason: Why the partner was credited, in words.
    """

    conversion_id: str
    partner_id: str
    share: Fraction
    role: CreditRole = attrs.field(
        converter=enum_member(CreditRole)  # type: ignore[misc]
    )
    touch_id: str
    content_id: str | None
    revenue: Money
    reason: str

    @classmethod
    def _trusted(  # noqa: PLR0917 - positional on purpose: once per credit on the hot path
        cls,
        conversion_id: str,
        partner_id: str,
        share: Fraction,
        role: CreditRole,
        touch_id: str,
        content_id: str | None,
        revenue: Money,
        reason: str,
    ) -> Credit:
        """Build a credit from fields that already have their types, skipping ``__init__``.

        The attribution engine builds a credit for each of millions of
        conversions, from a ``CreditRole`` member and values it has derived
        itself: parsing keywords and converting ``role`` again would only cost
        time. The fields are written through their slots, in field order; the
        credit is equal to, and hashes like, the one ``Credit(...)`` builds from
        the same fields.
        """
        credit = object.__new__(cls)
        (
            set_conversion_id,
            set_partner_id,
            set_share,
            set_role,
            set_touch_id,
            set_content_id,
            set_revenue,
            set_reason,
        ) = _SLOT_SETTERS
        set_conversion_id(credit, conversion_id)
        set_partner_id(credit, partner_id)
        set_share(credit, share)
        set_role(credit, role)
        set_touch_id(credit, touch_id)
        set_content_id(credit, content_id)
        set_revenue(credit, revenue)
        set_reason(credit, reason)
        return credit


# The slot descriptors' setters, in field order, for Credit._trusted. Setting a frozen
# slotted field by name (object.__setattr__) looks the slot up on every call.
_SLOT_SETTERS: tuple[Callable[[Credit, object], None], ...] = tuple(
    vars(Credit)[field.name].__set__ for field in attrs.fields(Credit)
)


@attrs.frozen(kw_only=True)
class AttributionResult:
    """Everything attribution produced from a batch of events.

    Attributes:
        credits: Credits sorted by conversion id, then partner id.
        unattributed: Ids of valid conversions no partner earned, sorted.
        problems: Bad input found in the batch.
        unowned_promo_codes: ``(conversion id, promo code)`` of the attributed
            conversions whose promo code no partner of the campaign owns, sorted:
            not an error (it may be a code of another channel), but such a code
            earns a partner something only through a promo-code touch carrying it.
    """

    credits: tuple[Credit, ...]
    unattributed: tuple[str, ...]
    problems: tuple[Problem, ...]
    unowned_promo_codes: tuple[tuple[str, str], ...] = ()
