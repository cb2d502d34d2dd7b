"""Series -> Prometheus TSDB blocks, with `promtool tsdb create-blocks-from openmetrics`.

Blocks are built in a scratch folder beside the TSDB and then renamed into it, so a running
Prometheus never sees a half-written block; it picks new blocks up within a minute (or at its
next start) and merges them with what it holds. Samples identical to ones already stored
(same series, timestamp and value) are merged away by Prometheus, which is what makes
writing the same deterministic history twice harmless.
"""

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from .openmetrics import Series, write_openmetrics

INSTALL_HINT = "sudo apt-get install prometheus"
# Prometheus' head block owns the last hours. A block reaching into them makes the next start of
# Prometheus drop the write-ahead log's samples older than the block's end, i.e. live data, so
# history always ends this long before now (Prometheus' own guidance is three hours).
HEAD_AGE_SECONDS = 4 * 3600


def newest_allowed(now: float | None = None) -> int:
    """The latest sample time a written block may hold."""
    return int(time.time() if now is None else now) - HEAD_AGE_SECONDS


class BlockError(RuntimeError):
    """promtool is missing or refused the data; the message says what to do."""


def promtool_binary() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        raise BlockError(f"promtool not found on PATH (it comes with Prometheus): {INSTALL_HINT}")
    return binary


def check_tsdb_dir(tsdb_dir: Path) -> None:
    """Create `tsdb_dir` when missing; BlockError when it cannot be a TSDB folder."""
    if tsdb_dir.exists() and not tsdb_dir.is_dir():
        raise BlockError(f"{tsdb_dir} is not a folder: give the Prometheus TSDB folder (its --storage.tsdb.path)")
    try:
        tsdb_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BlockError(f"cannot create {tsdb_dir} ({e.strerror}): give a folder you can write to") from None


def write_blocks(series: Iterable[Series], tsdb_dir: Path) -> tuple[int, list[str]]:
    """Write `series` as blocks into `tsdb_dir`; returns (samples written, new block ids)."""
    promtool = promtool_binary()
    check_tsdb_dir(tsdb_dir)
    series = list(series)
    if not series:
        return 0, []
    newest = max(t for s in series for t, _ in s.samples)
    if newest > newest_allowed():
        raise BlockError(
            f"samples up to {newest} reach into the last {HEAD_AGE_SECONDS // 3600} hours, which Prometheus' head"
            " block owns: end the history earlier"
        )
    span = max(t for s in series for t, _ in s.samples) - min(t for s in series for t, _ in s.samples)
    # One pass per block: promtool re-reads the whole file for every block it cuts, so blocks
    # as long as the data (at least its 2h minimum) keep a month of history to seconds.
    block_hours = max(2, -(-span // 3600) + 1)
    with tempfile.TemporaryDirectory(prefix=".backfill-", dir=tsdb_dir) as scratch:
        source = Path(scratch) / "series.om"
        with source.open("w") as out:
            samples = write_openmetrics(series, out)
        built = Path(scratch) / "blocks"
        result = subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                f"--max-block-duration={block_hours}h",
                str(source),
                str(built),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise BlockError(
                f"promtool could not build blocks: {detail[-1] if detail else 'exit ' + str(result.returncode)}"
            )
        blocks = sorted(p.name for p in built.iterdir() if p.is_dir())
        for block in blocks:
            (built / block).rename(tsdb_dir / block)
    return samples, blocks
