"""The domain model: campaigns, partners, content, fees and deals."""
