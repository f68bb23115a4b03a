"""The fields of each record type of an event file, as the reader and the writer know them."""

from __future__ import annotations

__all__ = ["FIELDS"]

FIELDS: dict[str, tuple[str, ...]] = {
    "touch": (
        "id",
        "kind",
        "instant",
        "customer_key",
        "partner_id",
        "channel",
        "content_id",
        "link_id",
    ),
    "sale": (
        "id",
        "instant",
        "customer_key",
        "revenue",
        "currency",
        "new_customer",
        "gross",
        "tax",
        "shipping",
        "discount",
        "promo_code",
        "click_id",
        "country",
        "items",
    ),
    "item": ("conversion_id", "sku", "quantity", "unit_price", "currency", "category"),
    "refund": ("id", "conversion_id", "instant", "amount", "currency", "kind"),
    "stats": ("content_id", "as_of", "views", "reach", "likes", "comments", "shares", "saves"),
}
"""The fields of each record type (``lead`` has the fields of ``sale``)."""
FIELDS["lead"] = FIELDS["sale"]
