/**
 * Per-record ranking quality, as the streaming-anomaly literature reports detectors (MIDAS,
 * AnoEdge, F-FADE): records scored, higher = more anomalous, against 0/1 labels.
 */

/** ROC-AUC: the chance a random positive outscores a random negative (ties count half). NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const order = sortedByScore(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) j++;
    // Ranks i+1 … j share their mean.
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (labels[order[k]!]) { rankSum += rank; positives++; }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision: the mean of the precision at each positive, records taken from the highest
 * score down (tied records are taken together, so their order does not matter). NaN without positives.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const order = sortedByScore(scores).reverse();
  let positives = 0;
  for (let i = 0; i < order.length; i++) if (labels[order[i]!]) positives++;
  if (positives === 0) return Number.NaN;
  let seen = 0;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    let tiedHits = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!]) tiedHits++;
      j++;
    }
    seen += j - i;
    hits += tiedHits;
    // Each positive of the tie group gets the precision at the group's end.
    sum += tiedHits * (hits / seen);
    i = j;
  }
  return sum / positives;
}

/** Indices of `scores`, lowest score first. */
function sortedByScore(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a]! - scores[b]!);
}

/** One point of a ROC curve: records scoring at or above `threshold` are called attacks. */
export interface RocPoint {
  /** False-positive rate: negatives at or above the threshold ÷ all negatives. */
  fpr: number;
  /** True-positive rate (recall): positives at or above the threshold ÷ all positives. */
  tpr: number;
  threshold: number;
}

/**
 * The ROC curve, one point per distinct score from the highest down (tied records enter
 * together, as `rocAuc` counts them), from (0, 0) at threshold +∞ to (1, 1); the trapezoids
 * under it add up to `rocAuc`. Empty without both classes.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<boolean>): RocPoint[] {
  const order = sortedByScore(scores).reverse();
  let positives = 0;
  for (let i = 0; i < order.length; i++) if (labels[order[i]!]) positives++;
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return [];
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.POSITIVE_INFINITY }];
  let truePositives = 0;
  let falsePositives = 0;
  for (let i = 0; i < order.length;) {
    const threshold = scores[order[i]!]!;
    let j = i;
    while (j < order.length && scores[order[j]!] === threshold) {
      if (labels[order[j]!]) truePositives++;
      else falsePositives++;
      j++;
    }
    points.push({ fpr: falsePositives / negatives, tpr: truePositives / positives, threshold });
    i = j;
  }
  return points;
}
