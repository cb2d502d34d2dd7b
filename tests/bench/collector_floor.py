"""The floor of the collector benchmark: the collector's HTTP and gRPC server stacks answering
every OTLP export at once, without any work (no decoding, no log, no state).

    python tests/bench/collector_floor.py     # prints {"otlp_http": ..., "otlp_grpc": ...}, runs until SIGTERM

The HTTP side is uvicorn with the collector's options (agent_analytics.wire.serving, uvloop and
httptools) reading the whole body; the gRPC side is grpcio with the collector's worker count
and options. What the collector answers per second beside this is the share its own work leaves.
"""

import json
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent_analytics.collector.grpc_server import SERVICES, WORKERS  # noqa: E402
from agent_analytics.wire.serving import Servers, bind_grpc, listen  # noqa: E402

HEADERS = [(b"content-type", b"application/x-protobuf"), (b"content-length", b"0")]


async def answer(scope, receive, send) -> None:
    """Read the request body to its end, answer 200 with an empty export response."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    http = listen("127.0.0.1", 0, "floor OTLP/HTTP", "")
    servers = Servers("floor", [(answer, http)], fast=True)
    server = grpc.server(ThreadPoolExecutor(max_workers=WORKERS), options=[("grpc.so_reuseport", 0)])
    handler = grpc.unary_unary_rpc_method_handler(lambda body, context: b"")
    for service in SERVICES:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, {"Export": handler}),))
    grpc_port = bind_grpc(server, "127.0.0.1", 0, "floor OTLP/gRPC", "")
    server.start()
    servers.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    endpoints = {"otlp_http": f"http://127.0.0.1:{http.getsockname()[1]}", "otlp_grpc": f"127.0.0.1:{grpc_port}"}
    print(json.dumps(endpoints), flush=True)
    stop.wait()
    servers.stop()
    server.stop(grace=1).wait(5)


if __name__ == "__main__":
    main()
