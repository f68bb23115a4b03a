"""The blended ROI report: cost against attributed revenue and gross profit, with KPIs."""
