/** Direct, unoptimised float64 re-implementations used as independent references in tests. */

export function normalizeRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const n = Math.max(Math.sqrt(r.reduce((s, v) => s + v * v, 0)), 1e-12);
    return r.map((v) => v / n);
  });
}

/** kNN monitor by a plain loop: sort every bank row by cosine similarity, vote exp(sim/τ). */
export function knnLoop(
  bank: number[][],
  bankLabels: number[],
  queries: number[][],
  k: number,
  temperature: number,
  classes: number,
): number[] {
  const b = normalizeRows(bank);
  const q = normalizeRows(queries);
  return q.map((query) => {
    const sims = b.map((row, i) => ({ i, s: row.reduce((acc, v, j) => acc + v * query[j], 0) }));
    sims.sort((x, y) => y.s - x.s || x.i - y.i);
    const scores = new Array<number>(classes).fill(0);
    for (const { i, s } of sims.slice(0, k)) scores[bankLabels[i]] += Math.exp(s / temperature);
    return scores.indexOf(Math.max(...scores));
  });
}

/** Orthonormal columns (n × m) from Gram–Schmidt on random vectors, after the given columns. */
export function orthonormalColumns(n: number, m: number, random: () => number, first: number[][] = []): number[][] {
  const cols: number[][] = [];
  const all = [...first.map((c) => c.slice()), ...Array.from({ length: m }, () => Array.from({ length: n }, random))];
  for (const v of all) {
    for (const u of cols) {
      const dot = v.reduce((s, x, i) => s + x * u[i], 0);
      for (let i = 0; i < n; i++) v[i] -= dot * u[i];
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    cols.push(v.map((x) => x / norm));
  }
  return cols.slice(first.length); // columns, each of length n
}

/** Row-major n × d matrix U·diag(s)·Vᵀ from column lists. */
export function fromSvd(u: number[][], s: number[], v: number[][]): number[][] {
  const n = u[0].length;
  const d = v[0].length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, j) => s.reduce((acc, sk, k) => acc + u[k][i] * sk * v[k][j], 0)),
  );
}

/** RankMe closed form for a given spectrum (p_k = s_k / Σs + ε). */
export function rankMeClosedForm(spectrum: number[], epsilon = 1e-7): number {
  const total = spectrum.reduce((a, b) => a + b, 0);
  return Math.exp(-spectrum.reduce((h, s) => h + (s / total + epsilon) * Math.log(s / total + epsilon), 0));
}

export function alignmentLoop(a: number[][], b: number[][], alpha: number): number {
  const x = normalizeRows(a);
  const y = normalizeRows(b);
  return x.reduce((s, r, i) => s + Math.sqrt(r.reduce((q, v, j) => q + (v - y[i][j]) ** 2, 0)) ** alpha, 0) / x.length;
}

export function uniformityLoop(a: number[][], t: number): number {
  const x = normalizeRows(a);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      sum += Math.exp(-t * x[i].reduce((q, v, c) => q + (v - x[j][c]) ** 2, 0));
      pairs++;
    }
  }
  return Math.log(sum / pairs);
}

/** Mean softmax cross-entropy + (λ/2)‖W‖² and its gradient, in float64 (W row-major d × C). */
export function softmaxRegressionLoss(
  x: number[][],
  y: number[],
  w: Float64Array,
  b: Float64Array,
  classes: number,
  lambda: number,
): { loss: number; gradW: Float64Array; gradB: Float64Array } {
  const d = x[0].length;
  const gradW = new Float64Array(d * classes);
  const gradB = new Float64Array(classes);
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const logits = Array.from({ length: classes }, (_, c) => b[c] + x[i].reduce((s, v, j) => s + v * w[j * classes + c], 0));
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    loss -= logits[y[i]] - m - Math.log(z);
    for (let c = 0; c < classes; c++) {
      const g = (Math.exp(logits[c] - m) / z - (c === y[i] ? 1 : 0)) / x.length;
      gradB[c] += g;
      for (let j = 0; j < d; j++) gradW[j * classes + c] += x[i][j] * g;
    }
  }
  loss /= x.length;
  for (let k = 0; k < w.length; k++) {
    loss += (lambda / 2) * w[k] * w[k];
    gradW[k] += lambda * w[k];
  }
  return { loss, gradW, gradB };
}
