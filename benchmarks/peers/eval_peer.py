#!/usr/bin/env python3
"""Peer timing for `npm run bench -- eval`: scikit-learn's ndcg_score on the data benchmarks/eval.ts wrote.

Usage: python3 benchmarks/peers/eval_peer.py DIR [--repeats N]

DIR holds meta.json ({"docs", "queries", "objectives", "points", "k"}) and little-endian binaries:
offsets.i32 (queries + 1), labels.f32 (objectives × docs), scores.f32 (points × docs).

ndcg_score wants equal-length rows, so queries are grouped by length into buckets padded to the next
power of two (padding: label 0 and a score below every real one, which leaves NDCG@k unchanged). Label
padding is done once, outside the timing; score padding and the metric are timed per weight point.
ignore_ties=True (the random scores have no ties), the fastest path. A query with all labels 0 scores 0
(sklearn's convention), so the means compare with cosrank's idcgZero 'zero'.

Prints one JSON line: {"peer", "median_seconds" (wall), "median_cpu_seconds" (process CPU), "seconds" (wall, per
timing), "means" (point 0, per objective)}
or {"peer", "skipped": reason}.
"""
import json
import os
import sys
import time

import numpy as np

PEER = "sklearn.metrics.ndcg_score"


def main():
    args = sys.argv[1:]
    if not args:
        print("usage: eval_peer.py DIR [--repeats N]", file=sys.stderr)
        sys.exit(2)
    try:
        from sklearn.metrics import ndcg_score
    except ImportError as err:
        print(json.dumps({"peer": PEER, "skipped": f"python module missing: {err}"}), flush=True)
        return
    folder = args[0]
    repeats = int(args[args.index("--repeats") + 1]) if "--repeats" in args else 3
    meta = json.load(open(os.path.join(folder, "meta.json")))
    n_docs, n_obj, n_points, k = meta["docs"], meta["objectives"], meta["points"], meta["k"]
    offsets = np.fromfile(os.path.join(folder, "offsets.i32"), dtype="<i4")
    labels = np.fromfile(os.path.join(folder, "labels.f32"), dtype="<f4").reshape(n_obj, n_docs)
    scores = np.fromfile(os.path.join(folder, "scores.f32"), dtype="<f4").reshape(n_points, n_docs)

    lengths = np.diff(offsets)
    # at least two columns: ndcg_score rejects one-document rows
    width = np.maximum(2, 2 ** np.ceil(np.log2(np.maximum(lengths, 1))).astype(int))
    buckets = []  # (query indices, flat document index per padded cell or -1, padded labels per objective)
    for w in np.unique(width):
        qs = np.nonzero((width == w) & (lengths > 0))[0]
        if len(qs) == 0:
            continue
        cols = np.arange(w)[None, :]
        index = np.where(cols < lengths[qs][:, None], offsets[qs][:, None] + cols, -1)
        padded = [np.where(index >= 0, labels[j][np.maximum(index, 0)], 0.0) for j in range(n_obj)]
        buckets.append((qs, index, padded))
    n_queries = sum(len(b[0]) for b in buckets)

    def evaluate(point):
        s = scores[point]
        floor = float(s.min()) - 1.0
        means = np.zeros(n_obj)
        for qs, index, padded in buckets:
            s_pad = np.where(index >= 0, s[np.maximum(index, 0)], floor)
            for j in range(n_obj):
                means[j] += ndcg_score(padded[j], s_pad, k=k, ignore_ties=True) * len(qs)
        return means / n_queries

    evaluate(0)  # warm-up
    seconds, cpu_seconds, first = [], [], None
    for point in range(n_points):
        for _ in range(repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            means = evaluate(point)
            seconds.append(time.perf_counter() - t0)
            cpu_seconds.append(time.process_time() - c0)
        if point == 0:
            first = means
    print(
        json.dumps(
            {
                "peer": PEER,
                "median_seconds": float(np.median(seconds)),
                "median_cpu_seconds": float(np.median(cpu_seconds)),
                "seconds": seconds,
                "means": list(first),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
