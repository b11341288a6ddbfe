"""PyTorch peer of benchmarks/loop.ts: a plain PyTorch training loop (benchmark only, never product code).

Usage: python3 torch_loop.py MANIFEST.json  (run with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS = threads)
The manifest (written by loop.ts) names raw little-endian files of the prepared datasets (the same
features, lists and labels cosrank trains on), the model sizes, batch size, steps, loss settings and
Adam's hyper-parameters. After building everything it prints {"ready": true}, then answers one JSON
request per stdin line: {"job": "base" | "wcos" | "dpols", "steps": S} trains that job from a fresh
initialisation for S steps (the way a user would write it: features standardised and lists padded once,
each step a shuffled slice of lists cut to its longest list, the model's forward, the loss, backward,
Adam) and scores the validation set at the end (W-COS: at every point of the 11-point weight grid),
answering {"seconds": training-loop seconds, "validationSeconds": s, "steps": S, "loss": last loss}.
{"job": "quit"} ends it.
"""
import json
import math
import sys
import time


def main():
    manifest = json.load(open(sys.argv[1]))
    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"torch not installed ({e}); setup: apt-get install -y python3-torch"}), flush=True)
        return
    torch.set_num_threads(int(manifest["threads"]))
    torch.manual_seed(int(manifest["seed"]))
    rng = np.random.default_rng(int(manifest["seed"]))

    def load_split(d):
        F = int(d["nFeatures"])
        offsets = np.fromfile(d["offsets"], dtype="<i4")
        x = np.fromfile(d["features"], dtype="<f4").reshape(-1, F)
        labels = [np.fromfile(p, dtype="<f4") for p in d["labels"]]
        Q = len(offsets) - 1
        lens = np.diff(offsets)
        n_max = int(lens.max())
        X = np.zeros((Q, n_max, F), np.float32)
        M = np.zeros((Q, n_max), np.float32)
        Y = np.zeros((len(labels), Q, n_max), np.float32)
        for q in range(Q):
            a, b = offsets[q], offsets[q + 1]
            X[q, : b - a] = x[a:b]
            M[q, : b - a] = 1
            for j, l in enumerate(labels):
                Y[j, q, : b - a] = l[a:b]
        return torch.from_numpy(X), torch.from_numpy(M), torch.from_numpy(Y), torch.from_numpy(lens.astype(np.int64))

    train = load_split(manifest["train"])
    valid = load_split(manifest["validation"])
    # standardise once with the training statistics (cosrank's s0 does the same inside the model)
    Xt, Mt = train[0], train[1]
    real = Mt.reshape(-1) > 0
    flat = Xt.reshape(-1, Xt.shape[-1])[real]
    mean, std = flat.mean(0), flat.std(0)
    scale = torch.where(std > 0, 1 / std, torch.ones_like(std))
    train = ((train[0] - mean) * scale * train[1][..., None], *train[1:])
    valid = ((valid[0] - mean) * scale * valid[1][..., None], *valid[1:])
    B, m = int(manifest["listsPerBatch"]), int(manifest["m"])
    F = train[0].shape[-1]

    def mlp(inp, hidden):
        layers, d = [], inp
        for h in hidden:
            layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
            d = h
        layers.append(torch.nn.Linear(d, 1))
        return torch.nn.Sequential(*layers)

    def masked_log_softmax(s, mask):
        return torch.log_softmax(s + (mask - 1) * 1e9, -1)

    def listnet(s, y, mask):
        t = torch.softmax(y + (mask - 1) * 1e9, -1) * mask
        return -(t * masked_log_softmax(s, mask)).sum(-1).mean()

    def lipo(delta, ys, mask, w, beta, targets, lam):
        per = []
        for j, kind in enumerate(targets):
            z = ys[j] * mask
            if kind == "dense":
                t = torch.softmax(ys[j] + (mask - 1) * 1e9, -1) * mask
            else:
                tot = z.abs().sum(-1, keepdim=True)
                t = z / torch.where(tot > 0, tot, torch.ones_like(tot))
            per.append(-(t * masked_log_softmax(delta * beta[j], mask)).sum(-1))
        L = torch.stack(per, 1)  # [B, m]
        loss = (w * L).sum(-1)
        if lam > 0:
            cos = (w * L).sum(-1) / (torch.sqrt((w * w).sum(-1) + 1e-12) * torch.sqrt((L * L).sum(-1) + 1e-12))
            loss = loss - lam * cos
        return loss.mean()

    def batches(lens):
        Q = len(lens)
        while True:
            order = torch.from_numpy(rng.permutation(Q))
            for i in range(0, Q, B):
                idx = order[i : i + B]
                yield idx, int(lens[idx].max())

    s0 = None

    def run(job, steps):
        nonlocal s0
        X, M, Y, lens = train
        cfg = manifest
        if job == "base":
            model = mlp(F, cfg["baseHidden"])
        else:
            # W-COS: the net reads w; DPO-LS: an unconditioned net at its fixed w (as cosrank's dpo-ls job)
            model = mlp(F + m if job == "wcos" else F, cfg["netHidden"])
            if s0 is None:
                s0 = mlp(F, cfg["baseHidden"])
            s0.requires_grad_(False)
        opt = torch.optim.Adam(model.parameters(), lr=cfg["learningRate"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["epsilon"])
        alpha = np.array(cfg["alpha"], np.float64)
        beta = cfg["beta"]
        fixed = torch.tensor(cfg["fixedWeights"], dtype=torch.float32)
        it = batches(lens)
        t0 = time.perf_counter()
        loss = None
        for _ in range(steps):
            idx, n = next(it)
            x, mask = X[idx, :n], M[idx, :n]
            ys = Y[:, idx, :n]
            opt.zero_grad(set_to_none=True)
            if job == "base":
                loss = listnet(model(x).squeeze(-1), ys[0], mask)
            else:
                w = fixed if job == "dpols" else torch.from_numpy(rng.dirichlet(alpha).astype(np.float32))
                wb = w.expand(len(idx), m)
                with torch.no_grad():
                    base_scores = s0(x).squeeze(-1)
                inp = torch.cat([x, wb[:, None, :].expand(len(idx), n, m)], -1) if job == "wcos" else x
                s = model(inp).squeeze(-1)
                loss = lipo(s - base_scores, ys[1:], mask, wb, beta, cfg["targets"], cfg["lambda"])
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - t0
        # validation at the end: score every validation document (W-COS: at each of the 11 grid points)
        t1 = time.perf_counter()
        Xv, Mv = valid[0], valid[1]
        with torch.inference_mode():
            if job == "base":
                model(Xv)
            else:
                if job == "wcos":
                    for w in [torch.tensor([k / 10, 1 - k / 10]) for k in range(11)]:
                        model(torch.cat([Xv, w.expand(Xv.shape[0], Xv.shape[1], m)], -1))
                else:
                    model(Xv)
        return {"seconds": seconds, "validationSeconds": time.perf_counter() - t1, "steps": steps, "loss": float(loss)}

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req["job"] == "quit":
            break
        print(json.dumps(run(req["job"], int(req["steps"]))), flush=True)


if __name__ == "__main__":
    main()
