"""The core: exact money, FX, time zones, calendar periods, durations, errors, problems."""
