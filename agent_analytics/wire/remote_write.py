"""Prometheus remote write 1.0: a WriteRequest protobuf, snappy-framed, POSTed to /api/v1/write
(or to another receiver's endpoint: Thanos Receive's /api/v1/receive, Mimir's /api/v1/push).

Samples go in at their own timestamps, which is how history reaches Prometheus without a scrape.
Prometheus must run with `--web.enable-remote-write-receiver`, and samples older than its head
(about the last hour) need `storage.tsdb.out_of_order_time_window` to cover them.

The encoders are written out here because the wire format is small and fixed:
WriteRequest{repeated TimeSeries timeseries = 1}, TimeSeries{repeated Label labels = 1;
repeated Sample samples = 2}, Label{string name = 1; string value = 2},
Sample{double value = 1; int64 timestamp = 2 (milliseconds)}. Snappy's block format allows a
body made only of literals, which every decoder accepts.
"""

import re
import struct
from collections.abc import Iterable, Sequence

import httpx

WRITE_PATH = "/api/v1/write"
# a URL that already names a receiver's endpoint (…/api/v1/receive, …/api/v1/push) is used as it is
ENDPOINT = re.compile(r"/api/v1/[a-z]+$")
HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}
MAX_SAMPLES_PER_REQUEST = 20_000
LITERAL_CHUNK = 1 << 16


class RemoteWriteError(RuntimeError):
    """Prometheus did not take the samples; the message says why and what to change."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # length-delimited (wire type 2)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_series(labels: dict[str, str], samples: Sequence[tuple[int, float]]) -> bytes:
    """One TimeSeries; `samples` are (unix milliseconds, value), labels sorted by name as Prometheus wants."""
    body = b"".join(
        _field(1, _field(1, name.encode()) + _field(2, value.encode())) for name, value in sorted(labels.items())
    )
    for t, v in samples:
        body += _field(2, b"\x09" + struct.pack("<d", v) + b"\x10" + _varint(t & 0xFFFFFFFFFFFFFFFF))
    return body


def encode_request(series: Iterable[tuple[dict[str, str], Sequence[tuple[int, float]]]]) -> bytes:
    return b"".join(_field(1, encode_series(labels, samples)) for labels, samples in series)


def snappy_literal(data: bytes) -> bytes:
    """`data` as a valid snappy block made of literal elements only (no compression)."""
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), LITERAL_CHUNK):
        chunk = data[start : start + LITERAL_CHUNK]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 1 << 8:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + n.to_bytes(2, "little")
        out += chunk
    return bytes(out)


def batches(series: Sequence[tuple[dict[str, str], Sequence[tuple[int, float]]]], limit: int = MAX_SAMPLES_PER_REQUEST):
    """Requests of at most about `limit` samples; a long series is split in time order."""
    batch, size = [], 0
    for labels, samples in series:
        for start in range(0, len(samples), limit):
            part = samples[start : start + limit]
            if size and size + len(part) > limit:
                yield batch
                batch, size = [], 0
            batch.append((labels, part))
            size += len(part)
    if batch:
        yield batch


def endpoint(url: str) -> str:
    """Where to POST: Prometheus' base URL plus WRITE_PATH, or a receiver's endpoint as given."""
    url = url.rstrip("/")
    return url if ENDPOINT.search(url) else url + WRITE_PATH


def push(base_url: str, series: Sequence[tuple[dict[str, str], Sequence[tuple[int, float]]]], timeout=30.0) -> int:
    """Write every series to `base_url` (see endpoint()); returns the number of samples
    acknowledged. All or RemoteWriteError.

    A request sent twice is harmless: Prometheus keeps one of two identical samples.
    """
    url = endpoint(base_url)
    written = 0
    with httpx.Client(timeout=timeout) as client:
        for batch in batches(series):
            try:
                r = client.post(url, content=snappy_literal(encode_request(batch)), headers=HEADERS)
            except httpx.HTTPError as e:
                raise RemoteWriteError(f"cannot reach Prometheus at {url} ({e}); is it running?") from None
            if r.status_code == 404:
                raise RemoteWriteError(f"{url} answered 404: start Prometheus with --web.enable-remote-write-receiver")
            if r.status_code >= 300:
                detail = r.text.strip().splitlines()[0][:300] if r.text.strip() else ""
                hint = (
                    "; set storage.tsdb.out_of_order_time_window in prometheus.yml"
                    if "out of bounds" in detail or "out of order" in detail
                    else ""
                )
                raise RemoteWriteError(f"Prometheus refused the samples ({r.status_code} {detail}){hint}")
            written += sum(len(s) for _, s in batch)
    return written
