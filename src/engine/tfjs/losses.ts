/**
 * Listwise training losses as pure tfjs functions (STYLE.md §3): each returns ONE value per list,
 * shape `[B]`; the caller reduces. Gradients come from tfjs autodiff.
 *
 * Shared conventions:
 * - `scores`, `delta`, `labels`: `[B, N]` float; `mask`: `[B, N]` float, 1 = real document, 0 = padding.
 *   Padded slots never influence a loss nor receive gradient, whatever values they hold.
 * - Softmaxes run over the real documents only: padded logits are replaced by −1e9 before a
 *   log-softmax (max-shifted, so extreme but finite scores stay finite).
 * - A list with no real document (all padding) has loss exactly 0 and gradient 0.
 */
import * as tf from '@tensorflow/tfjs';

/** Logit given to padded slots: exp(−1e9 − max) underflows to exactly 0 in float32. */
const MASKED_LOGIT = -1e9;
/** Added under the square roots of `cosinePenalty` so an all-zero loss vector has a finite gradient. */
const NORM_EPS = 1e-12;

export type TargetKind = 'sparse' | 'dense';

/** log softmax over the real documents of each list; padded entries are ≈ −1e9 (finite). */
function maskedLogSoftmax(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.logSoftmax(tf.where(tf.greater(mask, 0.5), x, tf.scalar(MASKED_LOGIT)), -1);
}

/** softmax over the real documents, exactly 0 on padding (and everywhere for an all-padding list). */
function maskedSoftmax(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.mul(tf.exp(maskedLogSoftmax(x, mask)), mask);
}

/** −Σ_i t_i · log p_i per list. */
function crossEntropy(target: tf.Tensor, logp: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(target, logp), -1));
}

/**
 * ListNet (top-one softmax cross-entropy):
 *   t = softmax(labels) over the real documents,  L = −Σ_i t_i · log softmax(scores)_i.
 * Example: scores (0, 0), labels (1, 1) → L = log 2.
 */
export function listNetLoss(scores: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => crossEntropy(maskedSoftmax(labels, mask), maskedLogSoftmax(scores, mask))) as tf.Tensor1D;
}

/**
 * ListMLE: Plackett–Luce negative log-likelihood of the order π that sorts the labels descending,
 * ties broken by position (the earlier slot first); padded documents are not part of the order:
 *   L = Σ_{r=1..n} [ log Σ_{r' ≥ r} exp(s_{π_r'}) − s_{π_r} ].
 * Computed without sorting: document i's term runs over the set {k real : y_k < y_i, or y_k = y_i and
 * k ≥ i} (the documents at or after i in π), an `[B, N, N]` mask — deterministic on every backend.
 * Example: scores (s1, s2), labels (1, 0) → L = log(e^s1 + e^s2) − s1 + 0.
 */
export function listMleLoss(scores: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, n] = scores.shape;
    const yi = tf.reshape(labels, [b, n, 1]);
    const yk = tf.reshape(labels, [b, 1, n]);
    const pos = tf.range(0, n, 1, 'int32');
    const kAfterI = tf.greaterEqual(tf.reshape(pos, [1, 1, n]), tf.reshape(pos, [1, n, 1]));
    const atOrAfter = tf.logicalAnd(
      tf.logicalOr(tf.less(yk, yi), tf.logicalAnd(tf.equal(yk, yi), kAfterI)),
      tf.greater(tf.reshape(mask, [b, 1, n]), 0.5),
    );
    const sk = tf.broadcastTo(tf.reshape(scores, [b, 1, n]), [b, n, n]);
    const lse = tf.logSumExp(tf.where(atOrAfter, sk, tf.scalar(MASKED_LOGIT)), 2);
    return tf.sum(tf.mul(tf.sub(lse, scores), mask), -1);
  }) as tf.Tensor1D;
}

/**
 * Normalised target of one objective (DESIGN.md §1): sparse z̄ = z/‖z‖₁ (all zero when ‖z‖₁ = 0),
 * dense z̄ = softmax(z) over the real documents.
 */
function lipoTarget(labels: tf.Tensor, mask: tf.Tensor, target: TargetKind): tf.Tensor {
  if (target === 'dense') return maskedSoftmax(labels, mask);
  const z = tf.mul(labels, mask);
  const norm = tf.sum(tf.abs(z), -1, true);
  return tf.div(z, tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm)));
}

/**
 * Listwise DPO loss of one objective (DESIGN.md §1):
 *   p = softmax(β · Δ) over the real documents,  L = −Σ_i z̄_i · log p_i
 * with Δ = sθ − s0 `[B, N]`, β `[B]` per list and z̄ from `lipoTarget`. A list whose sparse labels are
 * all zero gives exactly 0. At Δ = 0: ∂L/∂Δ_i = β·(1/n − z̄_i) (n real documents).
 */
export function lipoLoss(
  delta: tf.Tensor,
  labels: tf.Tensor,
  mask: tf.Tensor,
  beta: tf.Tensor,
  target: TargetKind,
): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = tf.mul(delta, tf.reshape(beta, [-1, 1]));
    return crossEntropy(lipoTarget(labels, mask, target), maskedLogSoftmax(logits, mask));
  }) as tf.Tensor1D;
}

/**
 * cos(w, L) = Σ_j w_j L_j / (‖w‖₂ ‖L‖₂) per list, for w, L `[B, m]`. The norms are taken as
 * sqrt(Σ x² + 1e-12) so an all-zero L gives 0 with a finite gradient (negligible otherwise).
 */
export function cosinePenalty(w: tf.Tensor, losses: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const norm = (x: tf.Tensor) => tf.sqrt(tf.add(tf.sum(tf.square(x), -1), NORM_EPS));
    return tf.div(tf.sum(tf.mul(w, losses), -1), tf.mul(norm(w), norm(losses)));
  }) as tf.Tensor1D;
}

/**
 * The COS-DPO objective per list for m auxiliary objectives:
 *   Σ_j w_j · L_j − λ · cos(w, L),   L_j = lipoLoss(deltas[j], auxLabels[j], mask, β_{·j}, targets[j]).
 * Sign of the penalty: DESIGN.md §1 writes "+ λ·cos(w, L)" and says the term keeps the loss vector
 * aligned with w; minimising rewards alignment only with a minus (cos is largest when L ∥ w), as in
 * COSMOS, so the penalty is subtracted here.
 * `deltas` holds one Δ `[B, N]` per objective (COS-DPO passes the same sθ − s0 for every j; a
 * per-objective margin such as MO-DPO's fits too). `weights`, `beta`: `[B, m]`.
 */
export function cosDpoLoss(
  deltas: tf.Tensor[],
  auxLabels: tf.Tensor[],
  mask: tf.Tensor,
  weights: tf.Tensor,
  beta: tf.Tensor,
  targets: TargetKind[],
  lambda: number,
): tf.Tensor1D {
  const m = auxLabels.length;
  if (m === 0 || deltas.length !== m || targets.length !== m || weights.shape[1] !== m || beta.shape[1] !== m) {
    throw new RangeError(
      `cosDpoLoss: ${m} label arrays, ${deltas.length} deltas, ${targets.length} targets, ` +
        `weights [${weights.shape}], beta [${beta.shape}]; all must agree on m ≥ 1`,
    );
  }
  return tf.tidy(() => {
    const betas = tf.unstack(beta, 1);
    const perObjective = tf.stack(
      auxLabels.map((labels, j) => lipoLoss(deltas[j], labels, mask, betas[j], targets[j])),
      1,
    );
    const weighted = tf.sum(tf.mul(weights, perObjective), -1);
    return lambda === 0 ? weighted : tf.sub(weighted, tf.mul(lambda, cosinePenalty(weights, perObjective)));
  }) as tf.Tensor1D;
}
