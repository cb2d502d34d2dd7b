# The exporter image used by compose.yaml (service "exporter").
FROM python:3.12-slim

# git reads the scanned repositories; they are mounted from the host with another owner
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'

WORKDIR /opt/agent-analytics
COPY pyproject.toml README.md ./
COPY agent_analytics ./agent_analytics
COPY collector ./collector
COPY exporter ./exporter
COPY cli ./cli
# editable: the package's YAML data (marker table, label policy) is read from these folders
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home-dir /var/lib/agent-analytics agent-analytics \
 && mkdir -p /var/lib/agent-analytics \
 && chown agent-analytics /var/lib/agent-analytics

USER agent-analytics
EXPOSE 9465
ENTRYPOINT ["agent-analytics", "exporter"]
CMD ["--config", "/etc/agent-analytics/exporter.yaml", "--host", "0.0.0.0", "--port", "9465", "--data-dir", "/var/lib/agent-analytics"]
