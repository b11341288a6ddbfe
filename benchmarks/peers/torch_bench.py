"""PyTorch peer for benchmarks/train.ts and benchmarks/infer.ts (benchmark only, never product code).

Usage: python3 torch_bench.py MANIFEST.json
The manifest (written by the TypeScript benchmark) holds the ranker specs of src/model/spec.ts, the
initial parameters and the batch as base64 float32, so both sides start from the same weights.
Prints ONE JSON line: {"results": {name: {"rate": steps_or_docs_per_s, "losses": [...]}}} or {"error": ...}.
Run with OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE; threads come from the manifest.
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

    results = {}
    if manifest["task"] == "train":
        seconds = float(manifest["seconds"])
        for wl in manifest["workloads"]:
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

            losses = [step() for _ in range(3)]
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds or n < 3:
                step()
                n += 1
            results[wl["name"]] = {"rate": n / (time.perf_counter() - t0), "losses": losses}
    else:
        spec = manifest["spec"]
        base = params(manifest["params"], False)
        R = manifest["rows"]
        x = torch.from_numpy(arr(manifest["features"]).reshape(1, R, spec["inputSize"]))
        mask = torch.ones(1, R)
        seconds = float(manifest["seconds"])
        with torch.inference_mode():
            first = scorer(spec, base, x, mask, None, None)
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds or n < 2:
                scorer(spec, base, x, mask, None, None)
                n += 1
        results["infer"] = {"rate": n * R / (time.perf_counter() - t0), "first": first.reshape(-1)[:5].tolist()}
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
