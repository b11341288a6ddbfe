/**
 * On-demand loading for the package's entry points: a module whose dependencies take long to load
 * (Arrow, Parquet, fastify, onnxruntime…) is required on the first call of one of its functions, so
 * importing an entry stays fast (issue 12 item 4). Entry files wrap such functions with `lazy`.
 */

/** A memoised `require` of one module: loads it on the first call, returns the same object after. */
export function lazy<M>(load: () => M): () => M {
  let module: M | undefined;
  return () => (module ??= load());
}
