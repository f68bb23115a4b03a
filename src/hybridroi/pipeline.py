"""The front door: one call from a campaign and its events to statements and a report."""
