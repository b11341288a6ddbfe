#!/usr/bin/env python3
"""Peer values for the metric tests (test/eval/metrics.test.ts), from scikit-learn and XGBoost.

Reads LETOR 4.0 MQ2008 S1 (../shared/data/MQ2008/S1.txt beside the checkout), draws tie-free random
scores with a fixed seed and writes test/fixtures/ndcg_mq2008_s1.json holding, per query, the labels and
the scores (so the test needs neither Python nor the data) and:
  - sklearn.metrics.ndcg_score per query, k = 1, 5, 10 (linear gain);
  - XGBoost's `ndcg@k` per query (2^z - 1 gain), each query evaluated as its own one-group DMatrix,
    plus XGBoost's means over all queries for `ndcg@k` and `ndcg@k-`.

Conventions checked here and recorded in the fixture:
  - sklearn gives 0 to a query whose labels are all 0 (IDCG = 0): our idcgZero 'zero';
    it refuses one-document queries (MQ2008 S1 has none).
  - XGBoost `ndcg@k` counts a query with IDCG = 0 as 1 (our 'one'), `ndcg@k-` as 0 (our 'zero').
  - Scores are float32 values (XGBoost keeps margins as float32) with no tie inside any query.

Usage (Debian: apt-get install -y python3-sklearn python3-xgboost):
    /usr/bin/python3 benchmarks/peers/make_eval_fixtures.py
"""
import json
import os
import sys

import numpy as np
import sklearn
import xgboost as xgb
from sklearn.metrics import ndcg_score

SEED = 20240517
KS = (1, 5, 10)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "..", "shared", "data", "MQ2008", "S1.txt")
OUT = os.path.join(ROOT, "test", "fixtures", "ndcg_mq2008_s1.json")


def read_letor_labels(path):
    """(qids in file order, labels per query); the features are not needed for metrics."""
    qids, groups = [], []
    with open(path, "r", newline="") as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            label, qid = float(fields[0]), fields[1]
            assert qid.startswith("qid:"), line
            if not qids or qids[-1] != qid[4:]:
                assert qid[4:] not in qids, f"query {qid} is not contiguous"
                qids.append(qid[4:])
                groups.append([])
            groups[-1].append(label)
    return qids, [np.array(g, dtype=np.float32) for g in groups]


def tie_free_scores(rng, n):
    while True:
        s = rng.standard_normal(n).astype(np.float32)
        if len(np.unique(s)) == n:
            return s


def xgb_metric(labels, scores, groups, metric):
    dm = xgb.DMatrix(np.zeros((len(labels), 1), dtype=np.float32), label=labels, base_margin=scores)
    dm.set_group(groups)
    # No trees: the margins are exactly the given scores. One metric per booster (1.7 mislabels lists).
    booster = xgb.train({"objective": "rank:ndcg", "eval_metric": metric}, dm, num_boost_round=0)
    text = booster.eval(dm)
    name, value = text.split()[1].split(":")
    assert name == "eval-" + metric, text
    return float(value)


def main():
    if not os.path.exists(SOURCE):
        sys.exit(f"missing {SOURCE}")
    qids, labels = read_letor_labels(SOURCE)
    rng = np.random.default_rng(SEED)
    scores = [tie_free_scores(rng, len(l)) for l in labels]

    # sklearn's convention for IDCG = 0, checked rather than assumed.
    assert ndcg_score(np.array([[0.0, 0.0]]), np.array([[0.2, 0.1]])) == 0.0

    sk = {str(k): [float(ndcg_score(l[None, :], s[None, :], k=k)) for l, s in zip(labels, scores)] for k in KS}
    xg = {
        str(k): [xgb_metric(l, s, [len(l)], f"ndcg@{k}") for l, s in zip(labels, scores)] for k in KS
    }
    all_labels, all_scores = np.concatenate(labels), np.concatenate(scores)
    sizes = [len(l) for l in labels]
    xg_mean = {
        str(k): {
            "one": xgb_metric(all_labels, all_scores, sizes, f"ndcg@{k}"),
            "zero": xgb_metric(all_labels, all_scores, sizes, f"ndcg@{k}-"),
        }
        for k in KS
    }
    fixture = {
        "source": "LETOR 4.0 MQ2008 S1.txt (md5 d2af18b8f3b856656eb2771628b1b34c)",
        "script": "benchmarks/peers/make_eval_fixtures.py",
        "seed": SEED,
        "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__, "xgboost": xgb.__version__},
        "conventions": {
            "sklearn": "ndcg_score, linear gain; a query with all labels 0 scores 0",
            "xgboost_per_query": "ndcg@k, 2^z-1 gain; a query with all labels 0 scores 1",
            "xgboost_mean": "one = ndcg@k (IDCG=0 counts 1), zero = ndcg@k- (IDCG=0 counts 0)",
        },
        "qids": qids,
        "labels": [[int(v) for v in l] for l in labels],
        "scores": [[float(v) for v in s] for s in scores],
        "sklearn_ndcg": sk,
        "xgboost_ndcg": xg,
        "xgboost_ndcg_mean": xg_mean,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(qids)} queries, {len(all_labels)} documents)")


if __name__ == "__main__":
    main()
