"""XGBoost LambdaMART peer for `npm run bench -- quality`.

Usage: xgb_rank.py TRAIN[,TRAIN...] VALIDATION TEST OUT_DIR [--drop 41,44] [--objectives rank:pairwise,rank:ndcg]
           [--threads N] [--seed S]

Reads LETOR/SVMlight text (label qid:Q i:v ... # comment), drops the given 1-based features (the ones
cosrank's objectives take out of the model input), trains one booster per objective with early stopping
on the validation file's ndcg@10 (patience 50 rounds, at most 1000 rounds, eta 0.1, max_depth 6), and
writes OUT_DIR/<objective>.scores (one test score per line, file order) and OUT_DIR/peer.json. NDCG is
computed by the caller, with cosrank's own evaluator, so both rankers are scored identically.
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb


def read_letor(paths, drop):
    labels, qids, rows = [], [], []
    width = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                parts = line.split()
                labels.append(float(parts[0]))
                qids.append(parts[1].split(":", 1)[1])
                feats = {}
                for tok in parts[2:]:
                    k, v = tok.split(":", 1)
                    feats[int(k)] = float(v)
                    width = max(width, int(k))
                rows.append(feats)
    keep = [j for j in range(1, width + 1) if j not in drop]
    x = np.zeros((len(rows), len(keep)), dtype=np.float32)
    for i, feats in enumerate(rows):
        for c, j in enumerate(keep):
            x[i, c] = feats.get(j, 0.0)
    # group sizes in file order (queries are contiguous in LETOR files)
    groups, last = [], None
    for q in qids:
        if q != last:
            groups.append(0)
            last = q
        groups[-1] += 1
    return x, np.array(labels, dtype=np.float32), groups


def main(argv):
    train_paths, valid_path, test_path, out_dir = argv[0].split(","), argv[1], argv[2], argv[3]
    opts = dict(zip(argv[4::2], argv[5::2]))
    drop = {int(s) for s in opts.get("--drop", "").split(",") if s}
    objectives = opts.get("--objectives", "rank:pairwise,rank:ndcg").split(",")
    threads = int(opts.get("--threads", "1"))
    seed = int(opts.get("--seed", "1"))
    xt, yt, gt = read_letor(train_paths, drop)
    xv, yv, gv = read_letor([valid_path], drop)
    xs, ys, gs = read_letor([test_path], drop)
    dtrain = xgb.DMatrix(xt, label=yt)
    dtrain.set_group(gt)
    dvalid = xgb.DMatrix(xv, label=yv)
    dvalid.set_group(gv)
    dtest = xgb.DMatrix(xs)
    os.makedirs(out_dir, exist_ok=True)
    report = {"xgboost": xgb.__version__, "features": int(xt.shape[1]), "runs": []}
    for obj in objectives:
        params = {"objective": obj, "eta": 0.1, "max_depth": 6, "eval_metric": "ndcg@10", "nthread": threads, "seed": seed}
        started = time.time()
        booster = xgb.train(params, dtrain, num_boost_round=1000, evals=[(dvalid, "validation")], early_stopping_rounds=50, verbose_eval=False)
        seconds = time.time() - started
        scores = booster.predict(dtest, iteration_range=(0, booster.best_iteration + 1))
        with open(os.path.join(out_dir, obj.replace(":", "_") + ".scores"), "w") as f:
            f.write("\n".join(repr(float(s)) for s in scores) + "\n")
        report["runs"].append({"objective": obj, "bestIteration": int(booster.best_iteration), "seconds": seconds})
    with open(os.path.join(out_dir, "peer.json"), "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1:])
