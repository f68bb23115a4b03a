"""Attribution: which partners earned each conversion, and in what share."""
