"""The workstation side: agent settings, the git hook (its shell script, spool, sender, install) and doctor checks."""
