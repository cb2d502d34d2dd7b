"""The fields of GitHub's Copilot usage metrics reports and seat APIs that become series (their
names and meanings are declared in series.py; the exporter's Copilot reports read them)."""

# Prometheus name part -> report field, for every per-record activity figure.
MEASURES = {
    "user_initiated_interactions": "user_initiated_interaction_count",
    "code_generation_activities": "code_generation_activity_count",
    "code_acceptance_activities": "code_acceptance_activity_count",
    "loc_suggested_to_add": "loc_suggested_to_add_sum",
    "loc_suggested_to_delete": "loc_suggested_to_delete_sum",
    "loc_added": "loc_added_sum",
    "loc_deleted": "loc_deleted_sum",
}
ACTIVE_USERS = ("daily_active_users", "weekly_active_users", "monthly_active_users")
# Breakdown label -> the report lists that carry it, in order of preference (one list is used,
# never two, so nothing is counted twice).
BREAKDOWNS = {
    "ide": ("totals_by_ide",),
    "feature": ("totals_by_feature",),
    "language": ("totals_by_language_feature", "totals_by_language_model"),
    "model": ("totals_by_model_feature", "totals_by_language_model"),
}
SURFACES = {"agent": "used_agent", "chat": "used_chat", "cli": "used_cli"}
IDLE_DAYS = (7, 30, 90)
SEAT_STATES = (
    "total",
    "active_this_cycle",
    "inactive_this_cycle",
    "added_this_cycle",
    "pending_invitation",
    "pending_cancellation",
)
