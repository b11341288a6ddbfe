/**
 * Jest environment for every test: onnxruntime-node creates output typed arrays in Node's main
 * realm, while onnxruntime-common checks them with `instanceof` against the test realm's constructors.
 * Sharing the main realm's typed-array constructors makes both agree.
 */
const { TestEnvironment } = require('jest-environment-node');

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'BigInt64Array', 'BigUint64Array', 'Uint32Array', 'ArrayBuffer', 'Buffer']) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = OnnxEnvironment;
