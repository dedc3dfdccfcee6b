"""Save-to-rebuilt latency inside `dealbook serve`/`watch`: a real watcher on a synthetic
pipeline; each run edits one deal's value and times from the write to the moment the
deal's page is rebuilt (debounce included), and to the moment the charts the value
changed are redrawn too. Prints the median, min and max per size."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.build import Builder  # noqa: E402
from generator.watch import Rebuild, Watcher  # noqa: E402

from bench.synth import make_pipeline  # noqa: E402


def measure(size: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_pipeline(Path(tmp) / "pipeline", size)
        os.environ["DEALBOOK_CACHE_DIR"] = str(Path(tmp) / "cache")  # not the user's cache
        done, complete = threading.Event(), threading.Event()
        reports: list[Rebuild] = []
        stamps: list[float] = []

        def on_rebuild(report: Rebuild) -> None:
            if not done.is_set():
                stamps.append(time.perf_counter())  # the deal's page is written
                done.set()
            if not report.early:
                reports.append(report)
                stamps.append(time.perf_counter())
                complete.set()

        watcher = Watcher(Builder(root), on_rebuild)
        watcher.start()
        watcher.rebuild([])
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        time.sleep(0.5)
        target = root / "deals/batch-000/deal-000003.md"
        times, fulls, builds = [], [], []
        for i in range(runs):
            text = target.read_text()
            text = re.sub(r"^value: \d+", f"value: {12000 + i}", text, flags=re.M)
            if "value:" not in text:
                text = text.replace("stage:", f"value: {12000 + i}\nstage:", 1)
            done.clear()
            complete.clear()
            stamps.clear()
            started = time.perf_counter()
            target.write_text(text)
            if not complete.wait(60):
                raise RuntimeError("no rebuild within 60 s")
            times.append(stamps[0] - started)
            fulls.append(stamps[-1] - started)
            builds.append(reports[-1].seconds)
            time.sleep(0.3)
        watcher.stop()
        return {
            "deals": size,
            "runs": runs,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "min_ms": round(min(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
            "build_median_ms": round(statistics.median(builds) * 1000, 1),
            "with_charts_median_ms": round(statistics.median(fulls) * 1000, 1),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rows = [measure(int(s), args.runs) for s in args.sizes.split(",")]
    print(
        f"{'deals':>8} {'save→page median':>17} {'min':>8} {'max':>8} "
        f"{'→ charts too':>13} {'build':>9}"
    )
    for r in rows:
        print(
            f"{r['deals']:>8,} {r['median_ms']:>14.0f} ms {r['min_ms']:>5.0f} ms "
            f"{r['max_ms']:>5.0f} ms {r['with_charts_median_ms']:>10.0f} ms "
            f"{r['build_median_ms']:>6.0f} ms"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
