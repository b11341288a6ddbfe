"""XGBoost LambdaMART peer for `npm run bench -- generator`.

Usage: xgb_generated.py DIR [--threads N] [--seed S] [--rounds R]

DIR holds what benchmarks/generator.ts wrote for each split NAME in (train, validation, test):
NAME.x.f32 (row-major float32 features), NAME.y.f32 (relevance grades), NAME.groups.i32 (documents per
query, in row order), and meta.json ({"nFeatures": F}). One booster, objective rank:ndcg (LambdaMART,
gain 2^grade - 1), hist trees of depth 8, eta 0.1, min_child_weight 100 (the xgboost settings of
LightGBM's published MSLR comparison), at most R rounds (default 500) with early stopping on the
validation ndcg@10 (patience 50 rounds). Writes DIR/test.scores.f32 (one float32 per test document, row
order) and DIR/peer.json (rounds, best round, seconds, version). NDCG is computed by the caller with
cosrank's own evaluator, so both rankers are scored identically.
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb


def load(d, name, n_features):
    x = np.fromfile(os.path.join(d, name + ".x.f32"), dtype=np.float32).reshape(-1, n_features)
    y = np.fromfile(os.path.join(d, name + ".y.f32"), dtype=np.float32)
    groups = np.fromfile(os.path.join(d, name + ".groups.i32"), dtype=np.int32)
    if x.shape[0] != y.shape[0] or int(groups.sum()) != y.shape[0]:
        raise SystemExit(f"{name}: {x.shape[0]} feature rows, {y.shape[0]} labels, {int(groups.sum())} grouped documents")
    m = xgb.DMatrix(x, label=y)
    m.set_group(groups)
    return m


def main(argv):
    d = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2]))
    threads = int(opts.get("--threads", "2"))
    seed = int(opts.get("--seed", "1"))
    rounds = int(opts.get("--rounds", "500"))
    with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
        n_features = int(json.load(f)["nFeatures"])
    train, valid, test = (load(d, n, n_features) for n in ("train", "validation", "test"))
    params = {
        "objective": "rank:ndcg",
        "eval_metric": "ndcg@10",
        "eta": 0.1,
        "max_depth": 8,
        "min_child_weight": 100,
        "tree_method": "hist",
        "nthread": threads,
        "seed": seed,
    }
    t0 = time.time()
    booster = xgb.train(params, train, num_boost_round=rounds, evals=[(valid, "validation")],
                        early_stopping_rounds=50, verbose_eval=False)
    seconds = time.time() - t0
    best = booster.best_iteration
    scores = booster.predict(test, iteration_range=(0, best + 1)).astype(np.float32)
    scores.tofile(os.path.join(d, "test.scores.f32"))
    with open(os.path.join(d, "peer.json"), "w", encoding="utf-8") as f:
        json.dump({"peer": "xgboost", "version": xgb.__version__, "objective": params["objective"],
                   "bestRound": best + 1, "rounds": booster.num_boosted_rounds(), "seconds": seconds,
                   "validationNdcg10": booster.best_score}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
