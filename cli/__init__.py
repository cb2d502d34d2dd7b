"""The agent-analytics command line."""
