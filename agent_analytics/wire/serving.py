"""One way to serve: bind the socket here (so a busy port is an error with its number), run the
uvicorn servers in a background thread, and return only once they answer — or raise with the reason.

    sock = listen("127.0.0.1", 9465, "exporter", fix="choose another --port")
    servers = Servers("exporter-http", [(app, sock)]).start()
    ...
    servers.stop()
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from typing import Any

import uvicorn

from agent_analytics.config.errors import RuntimeFailure, UserError

START_TIMEOUT_SECONDS = 30.0


class PortUnavailable(RuntimeFailure, OSError):
    """A port cannot be bound: in use, or not allowed."""


class BadAddress(UserError, OSError):
    """The interface to listen on does not exist or cannot be resolved."""


def listen(host: str, port: int, what: str, fix: str, backlog: int = 2048) -> socket.socket:
    """A listening socket on host:port; `what` names the server and `fix` what to do when busy."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise BadAddress(f"cannot listen on {host}:{port} ({e.strerror}); check --host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        if e.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortUnavailable(f"cannot listen on {host}:{port} for the {what} ({e.strerror}); {fix}") from None
        raise BadAddress(f"cannot listen on {host}:{port} ({e.strerror}); check --host") from None
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class Servers:
    """uvicorn servers sharing one event loop in one thread, each on its own bound socket."""

    def __init__(self, name: str, apps: list[tuple[Any, socket.socket]], fast: bool = False):
        # fast: uvloop and httptools, for the collector's hot path.
        self.name = name
        self.sockets = [sock for _, sock in apps]
        options = {"loop": "uvloop", "http": "httptools"} if fast else {}
        self.servers = [
            uvicorn.Server(uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning", **options))
            for app, _ in apps
        ]
        self._fast = fast
        self.addresses = [f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in self.sockets]
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    async def _serve(self) -> None:
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self.servers, self.sockets, strict=True)
        ]
        while not all(server.started for server in self.servers):
            done = [t for t in tasks if t.done()]
            if done:
                self._failure = next((t.exception() for t in done if t.exception()), None)
                for server in self.servers:
                    server.should_exit = True
                break
            await asyncio.sleep(0.01)
        self._ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self) -> None:
        try:
            if self._fast:
                import uvloop

                uvloop.run(self._serve())
            else:
                asyncio.run(self._serve())
        except BaseException as e:  # reported by start(), never lost in the thread
            self._failure = e
        finally:
            self._ready.set()

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> Servers:
        """Serve in a background thread; returns once every server answers, else raises RuntimeFailure."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        answered = self._ready.wait(timeout) and all(s.started for s in self.servers)
        if not answered:
            self.stop()
            if self._failure is not None:
                reason = f"{type(self._failure).__name__}: {self._failure}".strip(": ")
            elif self._ready.is_set():
                reason = "it stopped while starting"
            else:
                reason = f"not ready after {timeout:g}s"
            raise RuntimeFailure(f"the {self.name} server on {', '.join(self.addresses)} did not start ({reason})")
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def bind_grpc(server: Any, host: str, port: int, what: str, fix: str) -> int:
    """Bind a gRPC server (it binds its own sockets) with the same errors as `listen`; returns the port."""
    if port:  # ask first: gRPC's own failure is a multi-line log on stderr
        listen(host, port, what, fix, backlog=1).close()
    try:
        bound = server.add_insecure_port(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    except RuntimeError:  # grpcio raises on a failed bind in some releases, returns 0 in others
        bound = 0
    if bound == 0:
        raise PortUnavailable(f"cannot listen on {host}:{port} for the {what}; {fix}")
    return bound
