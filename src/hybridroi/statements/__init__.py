"""Statements: commission rules and fixed fees priced into per-partner, per-period statements."""
