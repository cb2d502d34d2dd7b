"""One model name per model, for every source: the collector's rewrite rule for the `model`
label (collector/label_policy.yaml, `rewrite_values.model`) applied to transcripts, demo data
and the vendors' reports alike."""

from agent_analytics.collector.label_policy import load_policy

normalise_model = load_policy().rewrites["model"]
