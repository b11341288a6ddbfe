/**
 * A small ONNX graph builder (opset 17) with shape tracking.
 *
 * Every value carries its element type and a shape whose dimensions are numbers (static) or
 * symbols (strings such as `'R'`, `'B'`, `'N'`, or products like `'B*N'`). Shapes are needed by
 * reverse-mode differentiation (summing a gradient over broadcast axes, reshaping it back) and by
 * reshapes in graphs with dynamic batch dimensions: a symbolic dimension is read at run time from
 * the graph input that declared it (`Shape` → `Gather`).
 *
 * Nodes are appended in topological order; `toModel()` serialises the graph to ONNX bytes.
 */
import { AttributeType, DataType, encodeModel } from './proto';

export type Dim = number | string;
export type DType = 'float' | 'int64' | 'bool';

export interface Value {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'string'; value: string };

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

interface Initializer {
  name: string;
  dims: number[];
  dtype: DType;
  data: Float32Array | number[];
}

const OPSET = 17;
const IR_VERSION = 8;
const DTYPE_CODE: Record<DType, number> = { float: DataType.FLOAT, int64: DataType.INT64, bool: DataType.BOOL };

export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value });
export const ints = (value: number[]): Attr => ({ kind: 'ints', value });

/** Normalises a possibly negative axis against a rank. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`internal error: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Product of two dimensions: a number when both are static, else the symbol `a*b`. */
export function dimProduct(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : `${a}*${b}`;
}

/** Numpy broadcasting of two shapes (a symbol meets a number: the number wins unless it is 1). */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === 1) out.push(db);
    else if (db === 1 || da === db) out.push(da);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else throw new Error(`internal error: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
  }
  return out;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<number, Value>();
  private readonly intConstants = new Map<string, number[]>();
  private readonly symbolSources = new Map<string, { value: Value; axis: number }>();
  private readonly symbolTensors = new Map<string, Value>();
  private counter = 0;

  private fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** Declares a graph input; its symbolic dimensions become readable at run time. */
  input(name: string, shape: Dim[], dtype: DType = 'float'): Value {
    if (this.names.has(name)) throw new Error(`internal error: duplicate graph name ${name}`);
    this.names.add(name);
    const v: Value = { name, shape, dtype };
    this.inputs.push(v);
    shape.forEach((d, axis) => {
      if (typeof d === 'string' && !d.includes('*') && !this.symbolSources.has(d)) this.symbolSources.set(d, { value: v, axis });
    });
    return v;
  }

  /** A constant tensor stored as an initializer. */
  constant(data: Float32Array | number[], shape: number[], dtype: DType = 'float', hint = 'const'): Value {
    const name = this.fresh(hint);
    if (dtype === 'int64') this.intConstants.set(name, Array.from(data));
    this.initializers.push({ name, dims: shape, dtype, data: dtype === 'float' && Array.isArray(data) ? Float32Array.from(data) : data });
    return { name, shape, dtype };
  }

  /** Names of the initializers added so far, in order. */
  constantNames(): string[] {
    return this.initializers.map((i) => i.name);
  }

  /** A float scalar constant of shape [] (shared between uses). */
  scalar(x: number): Value {
    let v = this.scalars.get(x);
    if (v === undefined) {
      v = this.constant([x], [], 'float', 'scalar');
      this.scalars.set(x, v);
    }
    return v;
  }

  /** The values of an int64 constant made by this graph (axes inputs, for gradient rules). */
  intValues(v: Value): number[] {
    const c = this.intConstants.get(v.name);
    if (c === undefined) throw new Error(`internal error: ${v.name} is not an int64 constant`);
    return c;
  }

  int64s(values: number[]): Value {
    return this.constant(values, [values.length], 'int64', 'i64');
  }

  /** Appends a node with explicitly given output shapes/types. */
  node(op: string, inputs: Value[], outs: { shape: Dim[]; dtype: DType }[], attrs: Record<string, Attr> = {}): Value[] {
    const outputs = outs.map((o) => ({ name: this.fresh(`${op}_out`), shape: o.shape, dtype: o.dtype }));
    this.nodes.push({ op, inputs, outputs, attrs });
    return outputs;
  }

  private one(op: string, inputs: Value[], shape: Dim[], dtype: DType = 'float', attrs: Record<string, Attr> = {}): Value {
    return this.node(op, inputs, [{ shape, dtype }], attrs)[0];
  }

  /** Marks a value as a graph output under the given name. */
  output(v: Value, name: string): void {
    if (this.names.has(name)) throw new Error(`internal error: output name ${name} already used`);
    this.names.add(name);
    const o: Value = { name, shape: v.shape, dtype: v.dtype };
    this.nodes.push({ op: 'Identity', inputs: [v], outputs: [o], attrs: {} });
    this.outputs.push(o);
  }

  // ---- elementwise -------------------------------------------------------------------------
  private binary(op: string, a: Value, b: Value, dtype: DType = 'float'): Value {
    return this.one(op, [a, b], broadcastShapes(a.shape, b.shape), dtype);
  }
  add(a: Value, b: Value): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Value, b: Value): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Value, b: Value): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Value, b: Value): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Value, b: Value): Value {
    return this.binary('Pow', a, b);
  }
  min(a: Value, b: Value): Value {
    return this.binary('Min', a, b);
  }
  equal(a: Value, b: Value): Value {
    return this.binary('Equal', a, b, 'bool');
  }
  greater(a: Value, b: Value): Value {
    return this.binary('Greater', a, b, 'bool');
  }
  where(cond: Value, a: Value, b: Value): Value {
    return this.one('Where', [cond, a, b], broadcastShapes(cond.shape, broadcastShapes(a.shape, b.shape)));
  }
  unary(op: 'Relu' | 'Tanh' | 'Exp' | 'Log' | 'Sqrt' | 'Neg' | 'Abs' | 'Identity', x: Value): Value {
    return this.one(op, [x], [...x.shape]);
  }
  cast(x: Value, to: DType): Value {
    return this.one('Cast', [x], [...x.shape], to, { to: int(DTYPE_CODE[to]) });
  }
  softmax(x: Value, axis: number): Value {
    return this.one('Softmax', [x], [...x.shape], 'float', { axis: int(axisOf(axis, x.shape.length)) });
  }
  logSoftmax(x: Value, axis: number): Value {
    return this.one('LogSoftmax', [x], [...x.shape], 'float', { axis: int(axisOf(axis, x.shape.length)) });
  }

  // ---- linear algebra ----------------------------------------------------------------------
  /** Numpy matmul; both operands rank ≥ 2. */
  matmul(a: Value, b: Value): Value {
    if (a.shape.length < 2 || b.shape.length < 2) throw new Error('internal error: matmul needs rank ≥ 2');
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return this.one('MatMul', [a, b], [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]]);
  }
  /** Y = op(A)·op(B) (+ C), 2-D. */
  gemm(a: Value, b: Value, c: Value | null, transA = false, transB = false): Value {
    const m = transA ? a.shape[1] : a.shape[0];
    const n = transB ? b.shape[0] : b.shape[1];
    const attrs: Record<string, Attr> = {};
    if (transA) attrs.transA = int(1);
    if (transB) attrs.transB = int(1);
    return this.one('Gemm', c === null ? [a, b] : [a, b, c], [m, n], 'float', attrs);
  }

  // ---- reductions --------------------------------------------------------------------------
  private reducedShape(x: Value, axes: number[], keepdims: boolean): Dim[] {
    const set = new Set(axes);
    const out: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!set.has(i)) out.push(d);
      else if (keepdims) out.push(1);
    });
    return out;
  }
  reduceSum(x: Value, axes: number[], keepdims: boolean): Value {
    const ax = axes.map((a) => axisOf(a, x.shape.length));
    return this.one('ReduceSum', [x, this.int64s(ax)], this.reducedShape(x, ax, keepdims), 'float', { keepdims: int(keepdims ? 1 : 0) });
  }
  reduceMean(x: Value, axes: number[], keepdims: boolean): Value {
    const ax = axes.map((a) => axisOf(a, x.shape.length));
    return this.one('ReduceMean', [x], this.reducedShape(x, ax, keepdims), 'float', { axes: ints(ax), keepdims: int(keepdims ? 1 : 0) });
  }
  /** ReduceMax: used only as a constant shift (no gradient flows through it). */
  reduceMax(x: Value, axes: number[], keepdims: boolean): Value {
    const ax = axes.map((a) => axisOf(a, x.shape.length));
    return this.one('ReduceMax', [x], this.reducedShape(x, ax, keepdims), 'float', { axes: ints(ax), keepdims: int(keepdims ? 1 : 0) });
  }
  cumsum(x: Value, axis: number, reverse: boolean): Value {
    const a = axisOf(axis, x.shape.length);
    return this.one('CumSum', [x, this.constant([a], [], 'int64', 'axis')], [...x.shape], 'float', reverse ? { reverse: int(1) } : {});
  }

  // ---- shapes ------------------------------------------------------------------------------
  transpose(x: Value, perm: number[]): Value {
    return this.one('Transpose', [x], perm.map((p) => x.shape[p]), x.dtype, { perm: ints(perm) });
  }
  /** The int64 tensor of a symbolic dimension, read from the input that declared it. */
  private symbol(sym: string): Value {
    let t = this.symbolTensors.get(sym);
    if (t === undefined) {
      const src = this.symbolSources.get(sym);
      if (src === undefined) throw new Error(`internal error: no source for dimension ${sym}`);
      const shape = this.one('Shape', [src.value], [src.value.shape.length], 'int64');
      t = this.one('Gather', [shape, this.int64s([src.axis])], [1], 'int64', { axis: int(0) });
      this.symbolTensors.set(sym, t);
    }
    return t;
  }
  /**
   * A run-time shape tensor for `dims`. With `like` (reshape), a dimension equal to `like`'s at the same
   * position is written 0 (copy) and a product symbol −1 (inferred).
   */
  shapeTensor(dims: readonly Dim[], like: Value | null = null): Value {
    const parts: (number | Value)[] = dims.map((d, i) => {
      if (typeof d === 'number') return d;
      if (like !== null && like.shape[i] === d) return 0;
      if (d.includes('*')) {
        if (like === null) throw new Error(`internal error: cannot materialise dimension ${d}`);
        return -1;
      }
      return this.symbol(d);
    });
    if (parts.every((p) => typeof p === 'number')) return this.int64s(parts as number[]);
    const pieces = parts.map((p) => (typeof p === 'number' ? this.int64s([p]) : p));
    return this.one('Concat', pieces, [dims.length], 'int64', { axis: int(0) });
  }
  reshape(x: Value, dims: Dim[]): Value {
    return this.one('Reshape', [x, this.shapeTensor(dims, x)], dims, x.dtype);
  }
  expand(x: Value, dims: Dim[]): Value {
    return this.one('Expand', [x, this.shapeTensor(dims)], broadcastShapes(x.shape, dims), x.dtype);
  }
  concat(xs: Value[], axis: number): Value {
    const a = axisOf(axis, xs[0].shape.length);
    const shape = [...xs[0].shape];
    shape[a] = xs.reduce<Dim>((s, x) => (typeof s === 'number' && typeof x.shape[a] === 'number' ? s + (x.shape[a] as number) : `${s}+${x.shape[a]}`), 0);
    return this.one('Concat', xs, shape, xs[0].dtype, { axis: int(a) });
  }
  /** Splits along `axis` into static sizes. */
  split(x: Value, sizes: number[], axis: number): Value[] {
    const a = axisOf(axis, x.shape.length);
    return this.node(
      'Split',
      [x, this.int64s(sizes)],
      sizes.map((s) => {
        const shape = [...x.shape];
        shape[a] = s;
        return { shape, dtype: x.dtype };
      }),
      { axis: int(a) },
    );
  }
  unsqueeze(x: Value, axes: number[]): Value {
    const rank = x.shape.length + axes.length;
    const ax = axes.map((a) => axisOf(a, rank));
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[k++]);
    return this.one('Unsqueeze', [x, this.int64s(ax)], shape, x.dtype);
  }
  squeeze(x: Value, axes: number[]): Value {
    const ax = axes.map((a) => axisOf(a, x.shape.length));
    return this.one('Squeeze', [x, this.int64s(ax)], x.shape.filter((_, i) => !ax.includes(i)), x.dtype);
  }
  /** Picks `indices` along `axis` (indices a 1-D int64 constant; the axis keeps its rank). */
  gather(x: Value, indices: number[], axis: number): Value {
    const a = axisOf(axis, x.shape.length);
    const shape = [...x.shape];
    shape[a] = indices.length;
    return this.one('Gather', [x, this.int64s(indices)], shape, x.dtype, { axis: int(a) });
  }
  gatherElements(x: Value, index: Value, axis: number): Value {
    return this.one('GatherElements', [x, index], [...index.shape], x.dtype, { axis: int(axisOf(axis, x.shape.length)) });
  }
  /** Zeros of `like`'s shape scattered-added with `updates` at `index` along `axis`. */
  scatterAdd(like: Value, index: Value, updates: Value, axis: number): Value {
    const zeros = this.expand(this.scalar(0), [...like.shape]);
    return this.one('ScatterElements', [zeros, index, updates], [...like.shape], 'float', {
      axis: int(axisOf(axis, like.shape.length)),
      reduction: { kind: 'string', value: 'add' },
    });
  }
  /** LayerNormalization over the last axis; also returns the saved mean and 1/std (shape [..., 1]). */
  layerNorm(x: Value, gamma: Value, beta: Value, epsilon: number): { y: Value; mean: Value; invStd: Value } {
    const stat = [...x.shape.slice(0, -1), 1];
    const [y, mean, invStd] = this.node(
      'LayerNormalization',
      [x, gamma, beta],
      [
        { shape: [...x.shape], dtype: 'float' },
        { shape: stat, dtype: 'float' },
        { shape: stat, dtype: 'float' },
      ],
      { axis: int(-1), epsilon: float(epsilon) },
    );
    return { y, mean, invStd };
  }

  // ---- serialisation -----------------------------------------------------------------------
  private valueInfo(v: Value): Record<string, unknown> {
    return {
      name: v.name,
      type: {
        tensorType: {
          elemType: DTYPE_CODE[v.dtype],
          shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }

  /** Serialises to an ONNX ModelProto (IR 8, default-domain opset 17). */
  toModel(docString = ''): Uint8Array {
    const attr = (name: string, a: Attr): Record<string, unknown> => {
      switch (a.kind) {
        case 'int':
          return { name, type: AttributeType.INT, i: a.value };
        case 'float':
          return { name, type: AttributeType.FLOAT, f: a.value };
        case 'ints':
          return { name, type: AttributeType.INTS, ints: a.value };
        case 'string':
          return { name, type: AttributeType.STRING, s: Buffer.from(a.value, 'utf8') };
      }
    };
    const graph = {
      name: 'cosrank',
      node: this.nodes.map((n, i) => ({
        name: `n${i}`,
        opType: n.op,
        input: n.inputs.map((v) => v.name),
        output: n.outputs.map((v) => v.name),
        attribute: Object.entries(n.attrs).map(([k, a]) => attr(k, a)),
      })),
      initializer: this.initializers.map((t) =>
        t.dtype === 'float'
          ? {
              name: t.name,
              dims: t.dims,
              dataType: DataType.FLOAT,
              rawData: new Uint8Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength),
            }
          : { name: t.name, dims: t.dims, dataType: DTYPE_CODE[t.dtype], int64Data: Array.from(t.data) },
      ),
      input: this.inputs.map((v) => this.valueInfo(v)),
      output: this.outputs.map((v) => this.valueInfo(v)),
    };
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: 'cosrank',
      producerVersion: '0.1.0',
      docString,
      graph,
      opsetImport: [{ domain: '', version: OPSET }],
    });
  }
}
