"""The one-machine stack that `up` runs: its config file, data paths and process supervisor."""
