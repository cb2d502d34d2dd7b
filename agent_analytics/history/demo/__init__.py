"""A deterministic, realistic history of a multi-team organisation, as Prometheus series: the
people (organisation), what each agent and source records of their work (one module each), and
`generate`, which runs the hours and days of the history through them."""
