"""Partners and their content: influencers, affiliates, platforms and formats."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from hybridroi.core.checks import (
    as_tuple,
    aware,
    enum_member,
    identifier,
    non_negative_int,
    optional,
    text,
    tuple_of,
)
from hybridroi.core.errors import InvalidValueError
from hybridroi.domain.policy import TouchKind, attribution_windows

__all__ = [
    "Account",
    "Affiliate",
    "AffiliateKind",
    "Content",
    "ContentFormat",
    "Influencer",
    "Partner",
    "Platform",
]


class Platform(enum.Enum):
    """Where content is published or where a partner sends its traffic from."""

    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    BLOG = "blog"
    """A blog or website."""
    PODCAST = "podcast"
    NEWSLETTER = "newsletter"
    FACEBOOK = "facebook"
    PINTEREST = "pinterest"
    SNAPCHAT = "snapchat"
    TWITCH = "twitch"
    X = "x"
    OTHER = "other"


class ContentFormat(enum.Enum):
    """The shape of a piece of content."""

    SHORT_VIDEO = "short_video"
    """Reels, TikToks, Shorts."""
    LONG_VIDEO = "long_video"
    PHOTO = "photo"
    """A photo or a carousel of photos."""
    STORY = "story"
    LIVE = "live"
    ARTICLE = "article"
    REVIEW = "review"
    PODCAST_EPISODE = "podcast_episode"
    NEWSLETTER_ISSUE = "newsletter_issue"
    LINK = "link"
    """A tracked link or listing without a content piece (coupon and cashback sites)."""
    OTHER = "other"


class AffiliateKind(enum.Enum):
    """What kind of performance partner an affiliate is."""

    COUPON = "coupon"
    CASHBACK = "cashback"
    CONTENT = "content"
    """A content or review publisher."""
    COMPARISON = "comparison"
    LOYALTY = "loyalty"
    CREATOR = "creator"
    """A creator with tracked links and promo codes."""
    SUBNETWORK = "subnetwork"
    OTHER = "other"


def _promo_codes(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    field = f"{type(instance).__name__}.{attribute.name}"
    folded: set[str] = set()
    for code in value:
        if not isinstance(code, str) or not code or code != code.strip():
            raise InvalidValueError(
                field, code, "a non-empty promo code without surrounding spaces"
            )
        if code.casefold() in folded:
            raise InvalidValueError(field, code, "each code once (codes ignore letter case)")
        folded.add(code.casefold())


def _customer_keys(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]
) -> None:
    field = f"{type(instance).__name__}.{attribute.name}"
    seen: set[str] = set()
    for key in value:
        if not isinstance(key, str) or not key or key != key.strip():
            raise InvalidValueError(
                field, key, "a non-empty customer key without surrounding spaces"
            )
        if key in seen:
            raise InvalidValueError(field, key, "each customer key once")
        seen.add(key)


def _influencer_windows(
    value: Mapping[Any, str | relativedelta] | Iterable[tuple[Any, str | relativedelta]],
) -> tuple[tuple[TouchKind, relativedelta], ...]:
    return attribution_windows(value, "Influencer.windows")


def _affiliate_windows(
    value: Mapping[Any, str | relativedelta] | Iterable[tuple[Any, str | relativedelta]],
) -> tuple[tuple[TouchKind, relativedelta], ...]:
    return attribution_windows(value, "Affiliate.windows")


def _window_of(
    windows: tuple[tuple[TouchKind, relativedelta], ...], kind: TouchKind
) -> relativedelta | None:
    for window_kind, duration in windows:
        if window_kind is kind:
            return duration
    return None


@attrs.frozen(kw_only=True)
class Account:
    """An influencer's account on one platform.

    Attributes:
        platform: The platform.
        handle: The account name, for example ``"@lea.skin"``.
        audience: Followers or subscribers, >= 0.
    """

    platform: Platform = attrs.field(
        converter=enum_member(Platform)  # type: ignore[misc]
    )
    handle: str = attrs.field(validator=text)
    audience: int = attrs.field(default=0, validator=non_negative_int)


@attrs.frozen(kw_only=True)
class Influencer:
    """A creator paid (at least in part) to create desire.

    Attributes:
        id: Partner id, unique within a campaign.
        name: Display name.
        accounts: Accounts per platform with their audience.
        promo_codes: The promo codes the influencer shares (``"LEA10"``): a sale
            with one of them is attributed to the influencer by itself (see
            ``AttributionPolicy.promo_code_precedence``). Letter case is ignored;
            no code belongs to two partners of a campaign.
        windows: The partner's own attribution windows (its cookie durations), by
            kind of touch (``{"click": "7 days"}``): each replaces the policy's
            window of that kind for this partner's touches, also when the policy
            gives that kind none. Kinds left out keep the policy's window. Read as
            ``AttributionPolicy.windows`` reads windows.
        customer_keys: The partner's own customer keys (its accounts as a
            customer): a sale by one of them earns the partner nothing (a
            self-referral); see docs/attribution.md.
    """

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=text)
    accounts: tuple[Account, ...] = attrs.field(
        default=(),
        converter=tuple_of(Account, "an Account"),  # type: ignore[misc]
    )
    promo_codes: tuple[str, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_promo_codes,
    )
    windows: tuple[tuple[TouchKind, relativedelta], ...] = attrs.field(
        default=(), converter=_influencer_windows
    )
    customer_keys: tuple[str, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_customer_keys,
    )

    @accounts.validator
    def _check_accounts(self, _attribute: object, value: tuple[Account, ...]) -> None:
        handles = set()
        for account in value:
            if not isinstance(account, Account):
                raise InvalidValueError("Influencer.accounts", account, "Account records")
            key = (account.platform, account.handle)
            if key in handles:
                raise InvalidValueError(
                    "Influencer.accounts", account.handle, "one account per platform and handle"
                )
            handles.add(key)

    def audience_on(self, platform: Platform) -> int:
        """Total audience of this influencer's accounts on ``platform``."""
        return sum(a.audience for a in self.accounts if a.platform is platform)

    def window(self, kind: TouchKind) -> relativedelta | None:
        """The influencer's own window of touches of ``kind``, or None to keep the policy's."""
        return _window_of(self.windows, kind)


@attrs.frozen(kw_only=True)
class Affiliate:
    """A performance partner paid on the sales it closes.

    Attributes:
        id: Partner id, unique within a campaign.
        name: Display name.
        kind: Coupon, cashback, content site, comparison site, ...
        website: The partner's site, if any.
        promo_codes: The promo codes the affiliate distributes; as for an
            :class:`Influencer`.
        windows: The affiliate's own attribution windows; as for an :class:`Influencer`.
        customer_keys: The affiliate's own customer keys; as for an :class:`Influencer`.
    """

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(validator=text)
    kind: AffiliateKind = attrs.field(
        default=AffiliateKind.OTHER,
        converter=enum_member(AffiliateKind),  # type: ignore[misc]
    )
    website: str | None = attrs.field(default=None, validator=optional(text))
    promo_codes: tuple[str, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_promo_codes,
    )
    windows: tuple[tuple[TouchKind, relativedelta], ...] = attrs.field(
        default=(), converter=_affiliate_windows
    )
    customer_keys: tuple[str, ...] = attrs.field(
        default=(),
        converter=as_tuple,  # type: ignore[misc]
        validator=_customer_keys,
    )

    def window(self, kind: TouchKind) -> relativedelta | None:
        """The affiliate's own window of touches of ``kind``, or None to keep the policy's."""
        return _window_of(self.windows, kind)


Partner = Influencer | Affiliate
"""Anyone a campaign pays. One partner may hold a fee and a commission deal: the hybrid case."""


@attrs.frozen(kw_only=True)
class Content:
    """A deliverable: a piece of content by a partner on a platform.

    Attributes:
        id: Content id, unique within a campaign.
        partner_id: The partner who published it.
        platform: Where it was published.
        format: Its format.
        published_at: When it was published (timezone-aware).
        url: Where it can be seen, if known.
    """

    id: str = attrs.field(validator=identifier)
    partner_id: str = attrs.field(validator=identifier)
    platform: Platform = attrs.field(
        converter=enum_member(Platform)  # type: ignore[misc]
    )
    format: ContentFormat = attrs.field(
        converter=enum_member(ContentFormat)  # type: ignore[misc]
    )
    published_at: datetime = attrs.field(validator=aware)
    url: str | None = attrs.field(default=None, validator=optional(text))
