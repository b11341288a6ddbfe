/** Jest runs the TypeScript tests through swc (type checking is `npm run typecheck`). */
module.exports = {
  // Shares typed-array constructors with Node's main realm (onnxruntime-node returns main-realm arrays).
  testEnvironment: '<rootDir>/test/nodeEnvironment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 120000,
};
