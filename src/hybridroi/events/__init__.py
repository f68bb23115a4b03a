"""Events: the raw touches, conversions and refunds a campaign receives."""
