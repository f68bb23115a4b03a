"""A bundled, realistic example: a French cosmetics brand's hybrid campaign."""
