/** One neighbour of a query: its row in the embeddings and its cosine similarity. */
export interface Neighbour {
  row: number;
  similarity: number;
}

/**
 * The `k` rows of `data` (row-major, `dim` wide) most cosine-similar to `query`, best first;
 * `exclude` (e.g. the query's own row) is skipped. Exact, one pass over the rows.
 */
export function cosineNeighbours(data: Float32Array, dim: number, query: Float32Array, k: number, exclude?: number): Neighbour[] {
  const count = data.length / dim;
  const queryNorm = Math.hypot(...query) || 1;
  const best: Neighbour[] = [];
  for (let row = 0; row < count; row++) {
    if (row === exclude) continue;
    let dot = 0;
    let norm = 0;
    for (let j = 0, o = row * dim; j < dim; j++, o++) {
      dot += data[o] * query[j];
      norm += data[o] * data[o];
    }
    const similarity = dot / ((Math.sqrt(norm) || 1) * queryNorm);
    if (best.length < k || similarity > best[best.length - 1].similarity) {
      best.push({ row, similarity });
      best.sort((a, b) => b.similarity - a.similarity);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
