"""The file edge: campaign definitions (TOML, JSON) and event files (CSV, JSON Lines)."""
