"""Run every benchmark of tests/bench/ in turn (`make bench`); each prints its own table.

Extra arguments are passed to every script (e.g. `--json`). The dashboard-query benchmarks
(bench_dashboard_queries.py, and bench_thanos_queries.py on Thanos) load 90 days x 500 developers
and take several minutes each; the others take under a minute each.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]]).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
