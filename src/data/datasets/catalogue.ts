/**
 * The public learning-to-rank datasets `cosrank datasets` knows: where each archive comes from, what
 * it holds and how its folds are laid out inside. Facts only (sizes, counts, licences) as the
 * publishers' pages and the archives state them; `data/registry.json` is this list as JSON
 * (`cosrank datasets list --json`), checked equal by test/datasets/catalogue.test.ts.
 */
import type { PresetName } from '../presets';

/** Archive container formats `extractArchive` reads (detected from the file's first bytes, not its name). */
export type ArchiveFormat = 'zip' | 'rar' | 'tar.gz' | 'tar.bz2' | 'tar';

/** The splits of every fold, in the order they are converted (train first: it fits the cut points). */
export const SPLITS = ['train', 'vali', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** One train/validation/test split of a dataset, as paths inside the archive's data folder. */
export interface FoldLayout {
  name: string;
  train: string;
  vali: string;
  test: string;
}

export interface DatasetEntry {
  /** What `cosrank datasets fetch NAME` takes (lower case). */
  name: string;
  title: string;
  publisher: string;
  /** The publisher's page (licence agreement, documentation). */
  homepage: string;
  /** Direct download of the archive, or null when it must be fetched by hand (a sign-up or agreement first). */
  url: string | null;
  /** For a manual download: what to do to get the archive. */
  manual?: string;
  /** Licence or terms in one line ("manual download" where they are accepted at the publisher's site). */
  licence: string;
  archive: {
    /** File name the archive is saved under in `data/NAME/`. */
    file: string;
    format: ArchiveFormat;
    /** Exact size in bytes, when known; else `approxBytes` from the publisher's page. */
    bytes?: number;
    approxBytes?: number;
    /** sha256 of the archive when one is recorded somewhere public, with where (`checksumSource`). */
    sha256?: string;
    checksumSource?: string;
  };
  /** Totals over the whole dataset (every document once). */
  queries: number;
  documents: number;
  features: number;
  /** Relevance grades, e.g. "0–4". */
  grades: string;
  /** The folder inside the archive that holds the fold paths (searched for when absent at the top). */
  root: string;
  folds: FoldLayout[];
  /** The objective preset applied to every fold (src/data/presets.ts). */
  preset: PresetName;
  notes?: string;
}

const letorFolds = (train: string, vali: string, test: string): FoldLayout[] =>
  [1, 2, 3, 4, 5].map((k) => ({ name: `Fold${k}`, train: `Fold${k}/${train}`, vali: `Fold${k}/${vali}`, test: `Fold${k}/${test}` }));

const MS_LETOR_TERMS = 'Microsoft Research terms accepted on the download page; research use';

/** What MSLR-WEB10K and MSLR-WEB30K share: the same 136 features, grades, fold layout and download caveat. */
const MSLR_LAYOUT = {
  features: 136,
  grades: '0–4',
  root: '.',
  folds: letorFolds('train.txt', 'vali.txt', 'test.txt'),
  preset: 'mslr',
  notes: 'The OneDrive share link may answer with a web page instead of the file; then download it by hand from the project page.',
} as const satisfies Partial<DatasetEntry>;

export const CATALOGUE: readonly DatasetEntry[] = [
  {
    name: 'mslr-web10k',
    title: 'MSLR-WEB10K',
    publisher: 'Microsoft Research (Bing relevance judgements), 2010',
    homepage: 'https://www.microsoft.com/en-us/research/project/mslr/',
    url: 'https://api.onedrive.com/v1.0/shares/s!AtsMfWUz5l8nbOIoJ6Ks0bEMp78/root/content',
    licence: MS_LETOR_TERMS,
    archive: {
      file: 'MSLR-WEB10K.zip',
      format: 'zip',
      bytes: 1_234_144_912,
      sha256: '2902142ea33f18c59414f654212de5063033b707d5c3939556124b1120d3a0ba',
      checksumSource: 'TensorFlow Datasets, ranking/mslr_web/checksums.tsv',
    },
    queries: 10_000,
    documents: 1_200_192,
    ...MSLR_LAYOUT,
  },
  {
    name: 'mslr-web30k',
    title: 'MSLR-WEB30K',
    publisher: 'Microsoft Research (Bing relevance judgements), 2010',
    homepage: 'https://www.microsoft.com/en-us/research/project/mslr/',
    url: 'https://api.onedrive.com/v1.0/shares/s!AtsMfWUz5l8nbXGPBlwD1rnFdBY/root/content',
    licence: MS_LETOR_TERMS,
    archive: {
      file: 'MSLR-WEB30K.zip',
      format: 'zip',
      bytes: 3_849_406_307,
      sha256: '08cb7977e1d5cbdeb57a9a2537a0923dbca6d46a76db9a6afc69e043c85341ae',
      checksumSource: 'TensorFlow Datasets, ranking/mslr_web/checksums.tsv',
    },
    queries: 31_531,
    documents: 3_771_125,
    ...MSLR_LAYOUT,
  },
  {
    name: 'mq2007',
    title: 'LETOR 4.0 MQ2007 (supervised, QueryLevelNorm)',
    publisher: 'Microsoft Research Asia, LETOR 4.0, 2009 (TREC 2007 Million Query track, Gov2)',
    homepage: 'https://www.microsoft.com/en-us/research/project/letor-learning-rank-information-retrieval/letor-4-0/',
    url: 'http://research.microsoft.com/en-us/um/beijing/projects/letor/LETOR4.0/Data/MQ2007.rar',
    licence: MS_LETOR_TERMS,
    archive: { file: 'MQ2007.rar', format: 'rar', approxBytes: 65_000_000 },
    queries: 1_692,
    documents: 69_623,
    features: 46,
    grades: '0–2',
    root: 'MQ2007',
    folds: letorFolds('train.txt', 'vali.txt', 'test.txt'),
    preset: 'letor4',
  },
  {
    name: 'mq2008',
    title: 'LETOR 4.0 MQ2008 (supervised, QueryLevelNorm)',
    publisher: 'Microsoft Research Asia, LETOR 4.0, 2009 (TREC 2008 Million Query track, Gov2)',
    homepage: 'https://www.microsoft.com/en-us/research/project/letor-learning-rank-information-retrieval/letor-4-0/',
    url: 'http://research.microsoft.com/en-us/um/beijing/projects/letor/LETOR4.0/Data/MQ2008.rar',
    licence: MS_LETOR_TERMS,
    archive: { file: 'MQ2008.rar', format: 'rar', approxBytes: 15_000_000 },
    queries: 784,
    documents: 15_211,
    features: 46,
    grades: '0–2',
    root: 'MQ2008',
    folds: letorFolds('train.txt', 'vali.txt', 'test.txt'),
    preset: 'letor4',
  },
  {
    name: 'ohsumed',
    title: 'OHSUMED (LETOR 2.0, 25 features)',
    publisher: 'Microsoft Research Asia, LETOR 1.0/2.0, 2007 (OHSUMED, Hersh et al. 1994)',
    homepage: 'https://www.microsoft.com/en-us/research/project/letor-learning-rank-information-retrieval/',
    url: null,
    manual:
      'Accept the Microsoft Research Shared Source License Agreement (non-commercial use only) on the LETOR page and download the OHSUMED archive.',
    licence: 'manual download (Microsoft Research Shared Source License, non-commercial use only)',
    archive: { file: 'OHSUMED.rar', format: 'rar' },
    queries: 106,
    documents: 16_140,
    features: 25,
    grades: '0–2',
    root: 'Data',
    folds: letorFolds('trainingset.txt', 'validationset.txt', 'testset.txt'),
    preset: 'ohsumed',
    notes: 'Any archive format cosrank reads is accepted (detected from its first bytes); the folds are found wherever Fold1/trainingset.txt lies.',
  },
  {
    name: 'istella-s',
    title: 'Istella-S LETOR',
    publisher: 'Istella, 2016 (Dato et al., ACM TOIS 35(2))',
    homepage: 'http://quickrank.isti.cnr.it/istella-dataset/',
    url: 'http://library.istella.it/dataset/istella-s-letor.tar.gz',
    licence: 'Istella LETOR Licence Agreement: non-commercial use only',
    archive: {
      file: 'istella-s-letor.tar.gz',
      format: 'tar.gz',
      bytes: 472_129_615,
      sha256: '41b21116a3650cc043dbe16f02ee39f4467f9405b37fdbcc9a6a05e230a38981',
      checksumSource: 'TensorFlow Datasets, ranking/istella/checksums.tsv',
    },
    queries: 33_018,
    documents: 3_408_630,
    features: 220,
    grades: '0–4',
    root: 'sample',
    folds: [{ name: 'sample', train: 'train.txt', vali: 'vali.txt', test: 'test.txt' }],
    preset: 'yahoo',
    notes: 'One 60/20/20 split. Features are not described, so the preset derives the auxiliary from the judgement (as for Yahoo).',
  },
  {
    name: 'yahoo-ltr',
    title: 'Yahoo! Learning to Rank Challenge (Webscope C14)',
    publisher: 'Yahoo! Labs, 2010 (Chapelle & Chang, JMLR W&CP 14)',
    homepage: 'https://webscope.sandbox.yahoo.com/catalog.php?datatype=c',
    url: null,
    manual:
      'Request C14 on Yahoo! Webscope, accept its terms, extract the delivered dataset.tgz and give its ltrc_yahoo.tar.bz2 to --from.',
    licence: 'manual download (Yahoo! Webscope C14 terms, research use)',
    archive: { file: 'ltrc_yahoo.tar.bz2', format: 'tar.bz2' },
    queries: 36_251,
    documents: 882_747,
    features: 700,
    grades: '0–4',
    root: '.',
    folds: [
      { name: 'set1', train: 'set1.train.txt', vali: 'set1.valid.txt', test: 'set1.test.txt' },
      { name: 'set2', train: 'set2.train.txt', vali: 'set2.valid.txt', test: 'set2.test.txt' },
    ],
    preset: 'yahoo',
    notes: 'Two sets rather than folds: set1 (29,921 queries, 709,877 documents) and set2 (6,330 queries, 172,870 documents).',
  },
];

/** A dataset that cannot be fetched: unknown name, unreachable server, HTTP error, wrong size or checksum. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** The catalogue entry called `name` (case-insensitive), or a DatasetError listing the names there are. */
export function datasetEntry(name: string): DatasetEntry {
  const entry = CATALOGUE.find((e) => e.name === name.toLowerCase());
  if (!entry) throw new DatasetError(`unknown dataset '${name}' (known: ${CATALOGUE.map((e) => e.name).join(', ')})`);
  return entry;
}
