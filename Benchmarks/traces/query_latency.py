"""Query latency against a loaded Lookout (or any Zipkin-compatible server): p50/p99 of
trace-by-ID and of two searches, over keep-alive HTTP. Standard library only.

  python3 query_latency.py --url http://127.0.0.1:9411 [--n 500] [--json-out FILE]
"""
import argparse
import http.client
import json
import random
import time
import urllib.parse


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    target = urllib.parse.urlparse(args.url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)

    def get(path):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {body[:200]!r}")
        return elapsed, body

    week = 7 * 86_400_000
    # Sample trace IDs and customer IDs from the newest traces.
    _, body = get(f"/api/v2/traces?serviceName=frontend&limit=1000&lookback={week}")
    traces = json.loads(body)
    ids = [t[0]["traceId"] for t in traces]
    customers = sorted({s["tags"]["customer.id"] for t in traces for s in t if "customer.id" in s.get("tags", {})})
    if not ids:
        raise SystemExit("no traces stored")
    random.seed(7)

    results = {}
    by_id = [get(f"/api/v2/trace/{random.choice(ids)}")[0] for _ in range(args.n)]
    results["trace by ID"] = by_id
    common = [get(f"/api/v2/traces?serviceName=checkout&annotationQuery=http.status_code%3D500&limit=10&lookback={week}")[0]
              for _ in range(args.n)]
    results["search: checkout + http.status_code=500 (10% of traces)"] = common
    rare = [get("/api/v2/traces?serviceName=checkout&annotationQuery=customer.id%3D"
                + random.choice(customers) + f"&limit=10&lookback={week}")[0] for _ in range(args.n)]
    results["search: checkout + customer.id=<one request's> (rare)"] = rare

    summary = {name: {"p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2), "n": len(v)}
               for name, v in results.items()}
    for name, s in summary.items():
        print(f"{name:60s} p50 {s['p50_ms']:7.2f} ms   p99 {s['p99_ms']:7.2f} ms   (n={s['n']})")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
