/** Types for unbzip2-stream (the package ships none): a transform from bzip2 bytes to plain bytes. */
declare module 'unbzip2-stream' {
  import type { Transform } from 'node:stream';
  function bz2(): Transform;
  export default bz2;
}
