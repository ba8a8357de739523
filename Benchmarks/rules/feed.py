"""Data for Benchmarks/run-rules-bench: remote_write_load.py's data set, kept live.

Rules evaluate at wall-clock time, so a data set that stops at load time ages under them:
after a few minutes rate(...[5m]) windows hold fewer samples, rates sag and alerts drift.
This generates the usual node_exporter-like series (remote_write_load.generate_series, same
seed and shape) with extra samples past the present, sends the past part to every server as a
bulk load (its send_all: timestamp-major, 2 connections, batches of 2000), then sends each
later sample column once its timestamp is no longer in the future, every 15 s, as a scraper
would, until its samples run out or it is stopped. The bulk data ends at the start time's
15 s grid point; columns that came due during the bulk loads go out at once, in order.

It touches OUT/loaded once every server has the bulk and the catch-up columns, and rewrites
OUT/feed.json after every column.

    python feed.py --out DIR --live-seconds 1200 --manifest DIR/manifest.json URL [URL ...]
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".." / "shared" / "bench"))
import remote_write_load as rwl  # noqa: E402  (../shared/bench, beside the repository)


def log(*x):
    print(*x, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--samples-per-series", type=int, default=720, help="samples per series in the bulk load")
    ap.add_argument("--step-ms", type=int, default=15000)
    ap.add_argument("--live-seconds", type=int, default=1200, help="how long the live feed can go on")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("urls", nargs="+", help="remote-write URLs")
    a = ap.parse_args()
    out = Path(a.out)
    step = a.step_ms
    now_ms = int(time.time() * 1000)
    end_ms = now_ms // step * step  # last bulk sample: the latest grid point not in the future
    start_ms = end_ms - (a.samples_per_series - 1) * step
    total = a.samples_per_series + math.ceil(a.live_seconds * 1000 / step)

    t0 = time.time()
    labels, V = rwl.generate_series(a.series, total, step, start_ms, a.seed)
    bulk_shards, _ = rwl.build_requests(labels, V[:, :a.samples_per_series], start_ms, step, 2000, 2, log=log)
    log(f"generated {a.series} series x {total} samples, encoded the bulk in {time.time() - t0:.1f} s")
    manifest = {"series": a.series, "samples_per_series": a.samples_per_series, "step_ms": step,
                "start_ms": start_ms, "end_ms": end_ms, "seed": a.seed, "live_samples_per_series": total - a.samples_per_series,
                "total_samples": a.series * a.samples_per_series}
    Path(a.manifest).write_text(json.dumps(manifest, indent=1) + "\n")

    state = {"bulk": {}, "live_columns": 0, "live_requests_failed": 0, "last_sent_ms": end_ms, "errors": []}

    def save():
        tmp = out / "feed.json.tmp"
        tmp.write_text(json.dumps(state, indent=1) + "\n")
        os.replace(tmp, out / "feed.json")

    bulk_samples = a.series * a.samples_per_series
    for url in a.urls:
        log(f"bulk load to {url} ...")
        r = rwl.send_all(url, bulk_shards, log=log)
        state["bulk"][url] = {"wall_s": r["wall_s"], "samples_ok": r["samples_ok"],
                              "samples_per_s": r["samples_ok"] / r["wall_s"], "requests_failed": r["requests_failed"],
                              "errors": r["errors"][:5]}
        log(f"  {r['samples_ok']} of {bulk_samples} samples in {r['wall_s']:.1f} s, "
            f"{r['requests_failed']} requests failed {r['errors'][:2]}")
        if r["samples_ok"] != bulk_samples:
            save()
            sys.exit(f"bulk load to {url} incomplete")
    del bulk_shards
    save()

    caught_up = False
    for t in range(a.samples_per_series, total):
        ts = start_ms + t * step
        if ts > time.time() * 1000:
            if not caught_up:
                (out / "loaded").touch()  # every column due so far is in: measuring may start
                caught_up = True
            time.sleep(ts / 1000 - time.time())
        shards, _ = rwl.build_requests(labels, V[:, t:t + 1], ts, step, 2000, 1, log=lambda *x: None)
        for url in a.urls:
            r = rwl.send_all(url, shards, log=log)
            state["live_requests_failed"] += r["requests_failed"]
            state["errors"] = (state["errors"] + r["errors"])[:5]
        state["live_columns"] += 1
        state["last_sent_ms"] = ts
        save()
    if not caught_up:
        (out / "loaded").touch()
    log("live feed: out of samples")


if __name__ == "__main__":
    main()
