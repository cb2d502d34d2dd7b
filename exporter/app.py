"""The exporter's HTTP surface: /metrics, /healthz and the git hook's ingest API."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, make_asgi_app

from agent_analytics import __version__
from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.exporter.git.attribution import MarkerTable
from agent_analytics.exporter.git.ingest import ingest_router
from agent_analytics.exporter.git.store import CommitStore


def create_app(
    config: ExporterConfig, store: CommitStore, markers: MarkerTable, registry: CollectorRegistry, health=None
) -> FastAPI:
    app = FastAPI(title="Agent Analytics exporter", version=__version__, docs_url=None, redoc_url=None)
    app.include_router(ingest_router(store, markers, config.auth_tokens, config.ingest_max_bytes, registry))

    app.add_route("/metrics", MetricsPage(make_asgi_app(registry)), include_in_schema=False)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__, **(health() if health else {})})

    return app


class MetricsPage:
    """prometheus_client's ASGI app (text format or OpenMetrics as the scraper asks, gzip when it
    accepts it) as a route: a class, so the router hands it the raw ASGI call."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)
