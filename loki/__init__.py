"""Loki configuration shipped with the package, for `up` and compose."""
