"""`POST /api/v1/commits`: commits as the git hook saw them, with the agent's environment as evidence."""

import json
import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from agent_analytics.exporter.git.attribution import MarkerTable
from agent_analytics.exporter.git.store import ALREADY_COUNTED, Commit, CommitStore
from agent_analytics.vocabulary.series import INGEST_COMMITS, INGEST_REQUESTS
from agent_analytics.wire.http_requests import BearerTokens, BodyTooLarge, read_body

MAX_COMMITS_PER_REQUEST = 1000
SHA = re.compile(r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")  # SHA-1 or SHA-256 object names
Count = Annotated[int, Field(ge=0, le=10**9)]
Timestamp = Annotated[int, Field(ge=0, le=2**40)]


class HookCommit(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=False)

    repo: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    sha: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=SHA.pattern)]
    author_name: Annotated[str, StringConstraints(max_length=300)] = ""
    author_email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
    committed_at: Timestamp
    lines_added: Count = 0
    lines_deleted: Count = 0
    files_changed: Count = 0
    trailers: Annotated[list[Annotated[str, StringConstraints(max_length=2000)]], Field(max_length=100)] = []
    agent_env: Annotated[dict[str, Annotated[str, StringConstraints(max_length=500)]], Field(max_length=50)] = {}
    # The workstation's own ids (from `init`); the exporter's identities config still wins.
    developer_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    team_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class CommitBatch(BaseModel):
    commits: Annotated[list[HookCommit], Field(max_length=MAX_COMMITS_PER_REQUEST)]


_BATCH = TypeAdapter(CommitBatch)
_HINTS = {
    "sha": "must be the full 40-character hexadecimal commit id (git rev-parse HEAD)",
    "committed_at": "must be unix seconds as a whole number (git log -1 --format=%ct)",
}


def readable(error: ValidationError) -> str:
    """The first problems of a validation error as `commits[2].sha: what to do` lines."""
    parts = []
    for e in error.errors()[:5]:
        loc = ""
        for item in e["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        field = next((str(x) for x in reversed(e["loc"]) if isinstance(x, str)), "")
        if e["type"] == "missing":
            message = "is required"
        elif field in _HINTS and e["type"] != "too_long":
            message = _HINTS[field]
        elif e["type"] == "too_long" and field == "commits":
            message = f"at most {MAX_COMMITS_PER_REQUEST} commits per request; send several requests"
        else:
            message = e["msg"][:1].lower() + e["msg"][1:]
        parts.append(f"{loc or 'body'}: {message}")
    more = len(error.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers or None)


def ingest_router(
    store: CommitStore, markers: MarkerTable, tokens: tuple[str, ...], max_bytes: int, registry: CollectorRegistry
) -> APIRouter:
    router = APIRouter()
    accepted_tokens = BearerTokens(tokens)
    requests, received = (
        Counter(name.base, name.help, name.labels, registry=registry) for name in (INGEST_REQUESTS, INGEST_COMMITS)
    )
    for result in ("accepted", "duplicate"):
        received.labels(result)

    def answer(response: JSONResponse) -> JSONResponse:
        requests.labels(str(response.status_code)).inc()
        return response

    @router.post("/api/v1/commits")
    async def post_commits(request: Request) -> JSONResponse:
        if not accepted_tokens.accepts(request.headers.get("authorization")):
            return answer(
                _error(
                    401,
                    "missing or wrong bearer token: send `Authorization: Bearer <token>` with a token"
                    " from the exporter's auth_tokens",
                    **{"WWW-Authenticate": "Bearer"},
                )
            )
        try:
            body = await read_body(request.stream(), request.headers.get("content-length"), max_bytes)
        except BodyTooLarge:
            return answer(_error(413, f"request body over {max_bytes} bytes: send fewer commits per request"))
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return answer(_error(422, f'body is not valid JSON ({e}): send {{"commits": [...]}}'))
        if not isinstance(raw, dict) or "commits" not in raw:
            return answer(_error(422, 'body must be a JSON object {"commits": [...]}'))
        try:
            batch = _BATCH.validate_python(raw)
        except ValidationError as e:
            return answer(_error(422, readable(e)))

        commits = [Commit.attributed(markers, c.repo, c, c.agent_env, source="hook") for c in batch.commits]
        outcomes = await run_in_threadpool(store.record, commits)
        duplicates = sum(o.result == ALREADY_COUNTED for o in outcomes)
        accepted = len(outcomes) - duplicates
        received.labels("accepted").inc(accepted)
        received.labels("duplicate").inc(duplicates)
        body = {"accepted": accepted, "duplicates": duplicates}
        if request.query_params.get("report") == "commits":  # what `hook flush` tells the developer
            body["commits"] = [{"repo": o.repo, "sha": o.sha, "result": o.result, "labels": o.labels} for o in outcomes]
        return answer(JSONResponse(body))

    return router
