"""The product's monitoring vocabulary: every series name it writes or reads, the monitoring facts,
the PromQL builders, spend, ROI, token prices and model names. The bottom layer: it imports no
other part of the product."""
