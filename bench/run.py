"""The benchmark suite (`make bench`): build times and memory on synthetic pipelines.

For each size it generates a seeded pipeline (bench/synth.py) and reports, as the median
of several runs with min and max, each run a fresh `dealbook build` process:
  floor       reading every deal file's bytes (the least any build must do)
  cold        an empty build cache and no site
  no change   a second build with nothing changed
  one edit    a build after one deal's value changed
  hugo        a Hugo build of the same files with a minimal theme, when hugo is installed
and the peak memory of a cold build. Figures go to the terminal and to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.synth import make_pipeline  # noqa: E402

HUGO_LAYOUT = """<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>
"""


def settle() -> None:
    """Let the disk finish what the last step left (deleting a 100,000-file site), so
    that it is not counted against the next run."""
    os.sync()
    time.sleep(1)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the child's peak memory (KB) for one command."""
    settle()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before)


def stats(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def floor(root: Path) -> float:
    started = time.perf_counter()
    for path in (root / "deals").rglob("*.md"):
        path.read_bytes()
    return time.perf_counter() - started


def hugo_site(root: Path, work: Path) -> Path | None:
    if shutil.which("hugo") is None:
        return None
    site = work / f"hugo-{root.name}"
    (site / "layouts/_default").mkdir(parents=True)
    for name in ("single.html", "list.html"):
        (site / "layouts/_default" / name).write_text(HUGO_LAYOUT)
    (site / "hugo.toml").write_text(
        'baseURL = "/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
    )
    shutil.copytree(root / "deals", site / "content/deals")
    return site


def measure(size: int, runs: int, work: Path) -> dict[str, object]:
    root = make_pipeline(work / f"p{size}", size)
    env = {**os.environ, "DEALBOOK_CACHE_DIR": str(work / f"cache{size}")}
    build = [sys.executable, "-m", "generator", "build", "--root", str(root)]
    target = next((root / "deals").rglob("*.md"))
    result: dict[str, object] = {"deals": size, "runs": runs}
    floors, colds, peaks, nochange, edits = [], [], [], [], []
    for i in range(runs):
        settle()
        floors.append(floor(root))
        shutil.rmtree(root / "site", ignore_errors=True)
        shutil.rmtree(work / f"cache{size}", ignore_errors=True)
        seconds, _ = timed(build, env)
        colds.append(seconds)
        # peak memory of a cold build, measured in a process of its own
        shutil.rmtree(root / "site", ignore_errors=True)
        shutil.rmtree(work / f"cache{size}", ignore_errors=True)
        settle()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *build],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        peaks.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
        nochange.append(timed(build, env)[0])
        text = target.read_text()
        target.write_text(re.sub(r"^title: ", f"title: Edit {i} ", text, count=1, flags=re.M))
        edits.append(timed(build, env)[0])
    result["floor_s"] = stats(floors)
    result["cold_s"] = stats(colds)
    result["no_change_s"] = stats(nochange)
    result["one_edit_s"] = stats(edits)
    result["peak_mb"] = stats(peaks)
    site = hugo_site(root, work)
    if site is not None:
        hugos = []
        for _ in range(runs):
            shutil.rmtree(site / "public", ignore_errors=True)
            hugos.append(timed(["hugo", "--quiet", "-s", str(site)], env)[0])
        result["hugo_s"] = stats(hugos)
    return result


def _ratio(r: float) -> str:
    """1.0, 34.4, 0.05: two figures that mean something, small or large."""
    return f"{r:.1f}" if r >= 1 else f"{r:.2g}"


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        f"{'deals':>8}  {'scenario':<11} {'median':>8} {'min':>8} {'max':>8}  {'× floor':>8} {'× hugo':>7}"
    ]
    for row in rows:
        fl = row["floor_s"]["median"]  # type: ignore[index]
        hu = row.get("hugo_s", {}).get("median")  # type: ignore[attr-defined]
        for key, label in (
            ("floor_s", "floor"),
            ("cold_s", "cold"),
            ("no_change_s", "no change"),
            ("one_edit_s", "one edit"),
            ("hugo_s", "hugo"),
        ):
            if key not in row:
                continue
            s = row[key]
            ratio_f = f"{_ratio(s['median'] / fl):>8}" if fl else "       –"  # type: ignore[index]
            ratio_h = f"{_ratio(s['median'] / hu):>7}" if hu else "      –"  # type: ignore[index]
            lines.append(
                f"{row['deals']:>8,}  {label:<11} {s['median']:>7.2f}s {s['min']:>7.2f}s "  # type: ignore[index]
                f"{s['max']:>7.2f}s  {ratio_f} {ratio_h}"
            )
        p = row["peak_mb"]
        lines.append(
            f"{row['deals']:>8,}  {'peak memory':<11} {p['median']:>6.0f}MB {p['min']:>6.0f}MB {p['max']:>6.0f}MB"
        )  # type: ignore[index]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, default=HERE / "out" / "results.json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(measure(size, args.runs, Path(tmp)))
            lines = table(rows[-1:]).splitlines()
            print("\n".join(lines if len(rows) == 1 else lines[1:]), flush=True)  # one header
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
