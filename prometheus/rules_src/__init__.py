"""The recording and alert rules as code: their output is prometheus/rules/*.yml."""
