// The same declarations seen from a CommonJS consumer.
import cosrank = require('cosrank');
import data = require('cosrank/data');

export function count(ds: cosrank.RankingDataset): number {
  return data.documentCount(ds);
}
