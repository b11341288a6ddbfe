"""Times the peer LETOR/SVMlight readers on one file, for `npm run bench -- load`.

Usage: python3 benchmarks/peers/load_peers.py FILE [--repeat N]

Prints one JSON object per line: {"peer", "seconds", "mb_per_s", "rows", "features"} for each peer, or
{"peer", "skipped": reason} when its Python module is missing. The best of N runs is kept (the first run
also warms the page cache, as the cosrank side does).
"""
import json
import os
import sys
import time


def best_time(fn, repeat):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    args = sys.argv[1:]
    if not args:
        print("usage: load_peers.py FILE [--repeat N]", file=sys.stderr)
        sys.exit(2)
    path = args[0]
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 2
    mb = os.path.getsize(path) / 1e6

    try:
        from sklearn.datasets import load_svmlight_file
    except ImportError as err:
        print(json.dumps({"peer": "sklearn.load_svmlight_file", "skipped": f"python module missing: {err}"}), flush=True)
    else:
        seconds, (x, _y, _qid) = best_time(lambda: load_svmlight_file(path, query_id=True), repeat)
        print(json.dumps({"peer": "sklearn.load_svmlight_file", "seconds": seconds, "mb_per_s": mb / seconds,
                          "rows": int(x.shape[0]), "features": int(x.shape[1])}), flush=True)

    try:
        import xgboost
    except ImportError as err:
        print(json.dumps({"peer": "xgboost.DMatrix", "skipped": f"python module missing: {err}"}), flush=True)
    else:
        seconds, d = best_time(lambda: xgboost.DMatrix(path + "?format=libsvm"), repeat)
        print(json.dumps({"peer": f"xgboost.DMatrix ({xgboost.__version__}, nthread={os.cpu_count()})", "seconds": seconds,
                          "mb_per_s": mb / seconds, "rows": int(d.num_row()), "features": int(d.num_col())}), flush=True)


if __name__ == "__main__":
    main()
