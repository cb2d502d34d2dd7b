"""The workstation side: agent settings, the git hook (runtime, sender, install) and doctor checks."""
