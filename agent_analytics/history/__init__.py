"""History as Prometheus series: demo data, backfills (git, transcripts), OpenMetrics and TSDB blocks, pricing."""
