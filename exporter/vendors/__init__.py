"""Usage and cost from the vendors' organisation APIs (Anthropic, Cursor, OpenAI) and GitHub
Copilot's usage metrics: a source per API, the day store and its poller, and their exposition."""
