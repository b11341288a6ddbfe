"""PyTorch peer for benchmarks/train.ts and benchmarks/infer.ts (benchmark only, never product code).

Usage: python3 torch_bench.py MANIFEST.json
The manifest (written by the TypeScript benchmark) holds the ranker specs of src/model/spec.ts, the
initial parameters and the batch as base64 float32, so both sides start from the same weights.
Tasks:
- "train" / "infer": time every workload once, print ONE JSON line
  {"results": {name: {"rate": steps_or_docs_per_s, "losses": [...]}}} or {"error": ...};
- "serve": build every workload, print {"ready": true}, then answer one JSON request per stdin line
  ({"op": "train", "name": ..., "seconds": s} | {"op": "infer", "seconds": s} | {"op": "quit"}) with one JSON
  line {"rate", "cpuPerCall" (process CPU seconds per step / pass), "losses" | "first"} — so the caller can
  alternate PyTorch and its own engine in short interleaved rounds on a shared machine.
Run with OPENBLAS_CORETYPE (Haswell, or SkylakeX on AVX-512 CPUs), OMP_WAIT_POLICY=PASSIVE and
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS = the manifest's thread count.
"""
import base64
import json
import math
import sys
import time


def main():
    manifest = json.load(open(sys.argv[1]))
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(json.dumps({"error": f"torch not installed ({e}); setup: apt-get install -y python3-torch libopenblas0"}))
        return
    torch.set_num_threads(int(manifest["threads"]))

    def arr(s, dtype=np.float32):
        return np.frombuffer(base64.b64decode(s), dtype=dtype).copy()

    def params(p, trainable):
        out = {}
        for k, t in p.items():
            x = torch.from_numpy(arr(t["data"]).reshape(t["shape"]))
            train = trainable and not k.startswith("input.mean") and not k.startswith("input.scale")
            out[k] = x.requires_grad_(train)
        return out

    def act(x, a):
        if a == "relu":
            return torch.relu(x)
        if a == "tanh":
            return torch.tanh(x)
        return F.gelu(x, approximate="tanh")

    def scorer(spec, P, x, mask, w, beta_bar):
        B, N, _ = x.shape
        parts = [(x - P["input.mean"]) * P["input.scale"]]
        m = spec["conditioning"]["weights"]
        if m > 0:
            parts.append(w[:, None, :].expand(B, N, m))
        if spec["conditioning"]["beta"]:
            parts.append(beta_bar[:, None, :].expand(B, N, m))
        u = torch.cat(parts, -1) if len(parts) > 1 else parts[0]
        if spec["kind"] == "mlp":
            h = u
            L = len(spec["hidden"])
            for i in range(L):
                h = act(torch.addmm(P[f"layers.{i}.bias"], h.reshape(-1, h.shape[-1]), P[f"layers.{i}.weight"]), spec["activation"])
            return torch.addmm(P[f"layers.{L}.bias"], h, P[f"layers.{L}.weight"]).reshape(B, N)
        d, H = spec["dModel"], spec["nHeads"]
        dh = d // H

        def lin(v, pre):
            return v @ P[f"{pre}.weight"] + P[f"{pre}.bias"]

        def ln(v, pre):
            return F.layer_norm(v, (d,), P[f"{pre}.gamma"], P[f"{pre}.beta"], 1e-5)

        key_bias = ((mask - 1) * 1e9)[:, None, None, :]
        h = lin(u, "input")
        for l in range(spec["nLayers"]):
            pre = f"blocks.{l}"
            a = ln(h, f"{pre}.norm1")
            q = lin(a, f"{pre}.attn.q").view(B, N, H, dh).transpose(1, 2)
            k = lin(a, f"{pre}.attn.k").view(B, N, H, dh).transpose(1, 2)
            v = lin(a, f"{pre}.attn.v").view(B, N, H, dh).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + key_bias, -1)
            o = (att @ v).transpose(1, 2).reshape(B, N, d)
            h = h + lin(o, f"{pre}.attn.out")
            f = ln(h, f"{pre}.norm2")
            h = h + lin(act(lin(f, f"{pre}.ff.0"), spec["activation"]), f"{pre}.ff.1")
        return lin(ln(h, "final.norm"), "output").reshape(B, N)

    def delta(spec, base, net, x, mask, w, beta):
        with torch.no_grad():
            s0 = scorer(spec["base"], base, x, mask, None, None)
        cos = spec["cos"]
        norm = beta.abs().sum(-1, keepdim=True)
        out = scorer(cos["net"], net, x, mask, w, beta / norm)
        s_theta = s0 + out if cos["parametrisation"] == "augment" else out
        s = (1 - 1 / norm) * s0 + s_theta / norm if cos["temperature"] else s_theta
        return s - s0

    def loss_fn(loss, d, mask, labels, w, beta):
        off = (mask - 1) * 1e9
        ce = lambda t, logits: -(t * torch.log_softmax(logits + off, -1)).sum(-1)
        if loss["kind"] == "listnet":
            return ce(torch.softmax(labels[0] + off, -1) * mask, d).mean()
        per = []
        for j, kind in enumerate(loss["targets"]):
            z = labels[j] * mask
            if kind == "dense":
                t = torch.softmax(labels[j] + off, -1) * mask
            else:
                tot = z.abs().sum(-1, keepdim=True)
                t = z / torch.where(tot > 0, tot, torch.ones_like(tot))
            per.append(ce(t, d * beta[:, j : j + 1]))
        L = torch.stack(per, 1)
        return (w * L).sum(-1).mean()

    def train_step_fn(wl):
        """A closure running one AdamW step of workload `wl` (state kept across calls) and returning the loss."""
        b = wl["batch"]
        B, N, Fn = b["B"], b["N"], b["F"]
        x = torch.from_numpy(arr(b["features"]).reshape(B, N, Fn))
        mask = torch.from_numpy(arr(b["mask"], np.uint8).astype(np.float32).reshape(B, N))
        labels = [torch.from_numpy(arr(l).reshape(B, N)) for l in b["labels"]]
        m = wl["spec"]["cos"]["net"]["conditioning"]["weights"]
        mm = max(m, 1)
        w = torch.from_numpy(arr(b["weights"]).reshape(B, m)) if m > 0 else torch.zeros(B, 0)
        beta = torch.from_numpy(arr(b["beta"]).reshape(B, m)) if m > 0 else torch.ones(B, mm)
        base = params(wl["params"]["base"], False)
        net = params(wl["params"]["cos"], True)
        o = wl["optimizer"]
        opt = torch.optim.AdamW([p for p in net.values() if p.requires_grad], lr=o["learningRate"], betas=(o["beta1"], o["beta2"]), eps=o["epsilon"], weight_decay=o["weightDecay"])

        def step():
            opt.zero_grad(set_to_none=True)
            l = loss_fn(wl["loss"], delta(wl["spec"], base, net, x, mask, w, beta), mask, labels, w, beta)
            l.backward()
            opt.step()
            return float(l)

        return step

    def infer_fn(inf):
        """A closure scoring every row of the inference manifest once; returns the scores."""
        spec = inf["spec"]
        base = params(inf["params"], False)
        R = inf["rows"]
        x = torch.from_numpy(arr(inf["features"]).reshape(1, R, spec["inputSize"]))
        mask = torch.ones(1, R)

        def score():
            with torch.inference_mode():
                return scorer(spec, base, x, mask, None, None)

        return score

    def timed(fn, seconds, least):
        """Calls fn for `seconds` (at least `least` times): (calls, wall seconds, process CPU seconds)."""
        n, t0, c0 = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - t0 < seconds or n < least:
            fn()
            n += 1
        return n, time.perf_counter() - t0, time.process_time() - c0

    results = {}
    if manifest["task"] == "serve":
        # interleaved mode: one request per stdin line, one JSON answer per stdout line
        steps = {wl["name"]: train_step_fn(wl) for wl in manifest.get("workloads", [])}
        first = {}
        score = infer_fn(manifest["infer"]) if "infer" in manifest else None
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            req = json.loads(line)
            if req["op"] == "quit":
                break
            if req["op"] == "train":
                fn = steps[req["name"]]
                if req["name"] not in first:
                    first[req["name"]] = [fn() for _ in range(3)]
                n, wall, cpu = timed(fn, float(req["seconds"]), 3)
                print(json.dumps({"rate": n / wall, "cpuPerCall": cpu / n, "losses": first[req["name"]]}), flush=True)
            else:
                scores = score()
                n, wall, cpu = timed(score, float(req["seconds"]), 2)
                rows = manifest["infer"]["rows"]
                print(json.dumps({"rate": n * rows / wall, "cpuPerCall": cpu / n, "first": scores.reshape(-1)[:5].tolist()}), flush=True)
        return
    if manifest["task"] == "train":
        seconds = float(manifest["seconds"])
        for wl in manifest["workloads"]:
            step = train_step_fn(wl)
            losses = [step() for _ in range(3)]
            n, wall, _ = timed(step, seconds, 3)
            results[wl["name"]] = {"rate": n / wall, "losses": losses}
    else:
        score = infer_fn(manifest)
        first = score()
        n, wall, _ = timed(score, float(manifest["seconds"]), 2)
        results["infer"] = {"rate": n * manifest["rows"] / wall, "first": first.reshape(-1)[:5].tolist()}
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
