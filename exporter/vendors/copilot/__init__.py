"""GitHub Copilot: the usage metrics and seat APIs (client), their reports turned into gauge
families (reports), the poller that keeps the last good figures, and their exposition."""
