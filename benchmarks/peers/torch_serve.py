"""PyTorch peer for benchmarks/serve.ts (benchmark only, never product code).

Usage: python3 torch_serve.py MANIFEST.json
The manifest holds the served ranker (spec of src/model/spec.ts: an MLP s0 and an MLP W-COS network,
augmentation parametrisation), its parameters and the raw candidate batch as base64 float32, the
model-input columns, the trade-off w and the factor c. The peer scores the batch the way the serving
runtime does (select the columns, s = s0(x) + net([x_norm, w]), then the c mixing) in inference mode,
`repeats` times, and prints ONE JSON line:
  {"latency_ms": {"p50", "p99", "mean"}, "batches_per_s", "scores": [...], "torch": version, "threads"}
or {"error": ...}. Run with OMP_WAIT_POLICY=PASSIVE; threads come from the manifest.
"""
import base64
import json
import sys
import time


def main():
    manifest = json.load(open(sys.argv[1]))
    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"torch not installed ({e}); setup: apt-get install -y python3-torch libopenblas0"}))
        return
    threads = int(manifest["threads"])
    torch.set_num_threads(threads)

    def arr(s):
        return np.frombuffer(base64.b64decode(s), dtype=np.float32).copy()

    def params(p):
        return {k: torch.from_numpy(arr(t["data"]).reshape(t["shape"])) for k, t in p.items()}

    spec = manifest["spec"]
    if spec["base"]["kind"] != "mlp" or spec["cos"]["net"]["kind"] != "mlp" or spec["cos"]["parametrisation"] != "augment" or spec["cos"]["temperature"]:
        print(json.dumps({"error": "the peer implements MLP s0 + MLP W-COS augmentation only"}))
        return
    base = params(manifest["params"]["base"])
    net = params(manifest["params"]["cos"])
    n_raw = manifest["rawFeatureCount"]
    raw = torch.from_numpy(arr(manifest["features"]).reshape(-1, n_raw))
    cols = torch.tensor(manifest["inputFeatures"], dtype=torch.long)
    w = torch.tensor(manifest["weights"], dtype=torch.float32)
    c = float(manifest["c"])

    def mlp(s, P, x, cond):
        u = (x - P["input.mean"]) * P["input.scale"]
        if cond is not None:
            u = torch.cat([u, cond.expand(u.shape[0], cond.shape[0])], 1)
        h = u
        L = len(s["hidden"])
        for i in range(L):
            h = torch.addmm(P[f"layers.{i}.bias"], h, P[f"layers.{i}.weight"])
            h = torch.relu(h) if s["activation"] == "relu" else torch.tanh(h)
        return torch.addmm(P[f"layers.{L}.bias"], h, P[f"layers.{L}.weight"]).reshape(-1)

    def score():
        x = raw.index_select(1, cols)
        s0 = mlp(spec["base"], base, x, None)
        s = s0 + mlp(spec["cos"]["net"], net, x, w)
        return (1 - 1 / c) * s0 + s / c

    with torch.inference_mode():
        first = score()
        for _ in range(20):
            score()
        times = []
        for _ in range(int(manifest["repeats"])):
            t0 = time.perf_counter()
            score()
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(json.dumps({
        "latency_ms": {"p50": q(0.5), "p99": q(0.99), "mean": sum(times) / len(times)},
        "batches_per_s": 1000 / (sum(times) / len(times)),
        "scores": first.tolist(),
        "torch": torch.__version__,
        "threads": threads,
    }))


if __name__ == "__main__":
    main()
