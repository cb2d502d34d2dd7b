"""The exporter's HTTP surface: /metrics, /healthz and the git hook's ingest API."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

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

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__, **(health() if health else {})})

    return app
