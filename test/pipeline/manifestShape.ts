/** The top-level keys of the one manifest shape (`RunManifest`, src/pipeline/manifest.ts) every training command writes. */
export const MANIFEST_KEYS = ['base', 'command', 'config', 'configFile', 'createdAt', 'data', 'engine', 'packages', 'results', 'seed', 'stages', 'timings'];
