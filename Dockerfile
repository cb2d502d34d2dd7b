# The exporter image used by compose.yaml (service "exporter").
# Built in two stages: the wheel (with its rules, dashboards and tables as package data), then
# an image that installs only that wheel.
FROM python:3.12-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY agent_analytics ./agent_analytics
COPY collector ./collector
COPY exporter ./exporter
COPY cli ./cli
COPY prometheus ./prometheus
COPY grafana ./grafana
COPY loki ./loki
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.12-slim

# git reads the scanned repositories; they are mounted from the host with another owner
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'

COPY --from=wheel /dist /dist
RUN pip install --no-cache-dir /dist/*.whl \
 && rm -rf /dist \
 && useradd --system --uid 10001 --home-dir /var/lib/agent-analytics agent-analytics \
 && mkdir -p /var/lib/agent-analytics \
 && chown agent-analytics /var/lib/agent-analytics

USER agent-analytics
EXPOSE 9465
ENTRYPOINT ["agent-analytics", "exporter"]
CMD ["--config", "/etc/agent-analytics/exporter.yaml", "--host", "0.0.0.0", "--port", "9465", "--data-dir", "/var/lib/agent-analytics"]
