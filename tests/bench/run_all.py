"""Run every benchmark of tests/bench/ in turn (`make bench`); each prints its own table.

Extra arguments are passed to every script (e.g. `--json`). The dashboard-query benchmark
loads 90 days x 500 developers and takes several minutes; the others take under a minute each.
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
