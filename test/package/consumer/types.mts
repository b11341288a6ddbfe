// Compiled with tsc --strict and skipLibCheck false: the public declarations must stand alone.
import { Ranker, createEngine, type Engine, type RankingDataset, type SweepTable, type ReportInput } from 'cosrank';
import { createServer, type ServerOptions, type RerankOptions } from 'cosrank/serve';
import { readArrow, type ObjectiveDef } from 'cosrank/data';
import { frontPlotSpec, hypervolume, type PlotSpec } from 'cosrank/eval';

export async function use(file: string, table: SweepTable): Promise<number> {
  const ds: RankingDataset = await readArrow(file);
  const engine: Engine = await createEngine('onnx');
  const options: ServerOptions = {};
  const rerank: RerankOptions = { weights: [0.5, 0.5] };
  const spec: PlotSpec = frontPlotSpec(table);
  const defs: ObjectiveDef[] = [];
  const report: ReportInput = { sweep: table };
  void [engine, options, rerank, spec, defs, report, Ranker, createServer];
  return hypervolume(table.rows.map((r) => r.ndcg.slice(1))) + ds.nFeatures;
}
