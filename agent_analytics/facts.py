"""Facts that the rules and dashboards generators, `report`, `up`, `demo` and `backfill` share.

Each is defined here once and imported; the generated dashboards and rules carry their values.
"""

DAY_SECONDS = 86400

# ROI assumptions used when neither a flag nor the exporter's roi config gives one (`report`),
# and the defaults of the ROI dashboard's variables. The presets of agent_analytics/roi.py price
# their hours at the hourly rate; minutes per assisted commit is the operator's own estimate.
ROI_DEFAULTS = {
    "hourly_rate_usd": 75.0,
    "minutes_saved_per_assisted_commit": 15.0,
}

# Seat prices are monthly; a window pays its share of an average month (a Gregorian year / 12).
SEAT_MONTH_SECONDS = int(365.25 / 12 * DAY_SECONDS)

# How long `up`'s Prometheus keeps data; `backfill` leaves older history out.
RETENTION_DAYS = 400
RETENTION = f"{RETENTION_DAYS}d"

# Prometheus scrape jobs of the stack (up{job=...} in the alerts, the job label of demo history).
JOB_PROMETHEUS = "prometheus"
JOB_COLLECTOR = "collector"
JOB_EXPORTER = "exporter"

# How far back each vendor organisation API answers (`backfill vendor` without --days). Cursor
# keeps a rolling window of usage events only.
VENDOR_HISTORY_DAYS = {"anthropic": 90, "anthropic_enterprise": 90, "cursor": 30, "openai": 90}
