/**
 * The parameters of a whole ranker, a model concept shared by the model file, the engines, training
 * and serving (it sits in src/model so nothing below the engine imports the engine interface).
 */
import type { Parameters } from './spec';

/** Parameters of a whole ranker: s0 and, for a COS-DPO ranker, its conditioned network. */
export interface RankerParameters {
  base: Parameters;
  cos?: Parameters;
}
