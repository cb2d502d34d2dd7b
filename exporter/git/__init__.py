"""Commits: the scan of configured repositories, the store that counts each commit once, the git
hook's ingest routes, which agent made a commit (attribution), time to commit, and their series."""
