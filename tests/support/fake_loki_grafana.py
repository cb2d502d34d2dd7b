"""Stand-ins for the `loki` and `grafana-server` binaries, which cannot run here.

Each reads the configuration `up` generated for it exactly as the real binary would find it
(`-config.file=` YAML for Loki, `--config=` INI for Grafana), listens on the port written there,
and answers the documented endpoints over a real socket: Loki `GET /ready` and
`POST /otlp/v1/logs` (204, bodies appended to $FAKE_RECORD_DIR/loki-<n>.pb), Grafana
`GET /api/health`. The arguments they were started with go to $FAKE_RECORD_DIR/<name>.argv.
`install(folder)` puts `loki` and `grafana-server` commands running this file into a folder.
"""

import configparser
import contextlib
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml


def install(folder: Path) -> Path:
    """`loki` and `grafana-server` in `folder` (created) that run these stand-ins; returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for binary, name in (("loki", "loki"), ("grafana-server", "grafana")):
        (folder / binary).write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {name} "$@"\n')
        (folder / binary).chmod(0o755)
    return folder


def main() -> None:
    name, args = sys.argv[1], sys.argv[2:]
    if name == "loki" and args == ["-version"]:  # as Grafana Loki prints it
        print("loki, version 3.4.2 (branch: HEAD, revision: 2a1a4dd9)\n  build user:       root@buildkitsandbox")
        print("  go version:       go1.23.6\n  platform:         linux/amd64\n  tags:             netgo")
        return
    record = Path(os.environ["FAKE_RECORD_DIR"])
    record.mkdir(parents=True, exist_ok=True)
    (record / f"{name}.argv").write_text(json.dumps(args))
    if name == "loki":
        config = yaml.safe_load(
            Path(next(a.split("=", 1)[1] for a in args if a.startswith("-config.file="))).read_text()
        )
        host, port = config["server"]["http_listen_address"], config["server"]["http_listen_port"]
    else:
        ini = configparser.ConfigParser()
        ini.read(next(a.split("=", 1)[1] for a in args if a.startswith("--config=")))
        host, port = ini["server"]["http_addr"], int(ini["server"]["http_port"])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def _reply(self, code: int, body: bytes = b"", kind: str = "text/plain") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if name == "loki" and self.path == "/ready":
                return self._reply(200, b"ready")
            if name == "grafana" and self.path == "/api/health":
                return self._reply(200, b'{"database": "ok", "version": "fake"}', "application/json")
            self._reply(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if name == "loki" and self.path == "/otlp/v1/logs":
                count = len(list(record.glob("loki-*.pb")))
                (record / f"loki-{count}.pb").write_bytes(body)
                return self._reply(204)
            self._reply(404)

    server = ThreadingHTTPServer((host, port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    (record / f"{name}.stopped").write_text("SIGTERM")


if __name__ == "__main__":
    main()
