/** Go `math` package behaviour where it differs from JavaScript's `Math`, plus Kahan summation. */

/** Go's `math.Pow`: unlike `**`, `Pow(x, ±0) = 1`, `Pow(1, y) = 1` and `Pow(-1, ±Inf) = 1` for NaN/Inf. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) {
    return 1;
  }
  if (x === -1 && (y === Infinity || y === -Infinity)) {
    return 1;
  }
  return x ** y;
}

/** Go's `math.Max`: +Inf wins over NaN, otherwise NaN propagates. */
export function goMax(a: number, b: number): number {
  if (a === Infinity || b === Infinity) {
    return Infinity;
  }
  return Math.max(a, b);
}

/** Go's `math.Min`: -Inf wins over NaN, otherwise NaN propagates. */
export function goMin(a: number, b: number): number {
  if (a === -Infinity || b === -Infinity) {
    return -Infinity;
  }
  return Math.min(a, b);
}

const scratch = new DataView(new ArrayBuffer(8));

/** Go's `math.Frexp`: x = frac × 2^exp with |frac| in [0.5, 1). */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) {
    return [x, 0];
  }
  let value = x;
  let exp = 0;
  if (Math.abs(value) < 2.2250738585072014e-308) {
    value *= 2 ** 52;
    exp = -52;
  }
  scratch.setFloat64(0, value);
  const hi = scratch.getUint32(0);
  exp += ((hi >>> 20) & 0x7ff) - 1022;
  scratch.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [scratch.getFloat64(0), exp];
}

/** Go's `math.Log2`: exact for powers of two, `Log(frac)/Ln2 + exp` otherwise. */
export function goLog2(x: number): number {
  const [frac, exp] = frexp(x);
  if (frac === 0.5) {
    return exp - 1;
  }
  return Math.log(frac) * Math.LOG2E + exp;
}

/** Go's `math.Log10`, computed as `Log(x) × (1/Ln10)`. */
export function goLog10(x: number): number {
  return Math.log(x) * Math.LOG10E;
}

/** Neumaier-compensated running sum, as Prometheus' `kahanSumInc`: returns [sum, compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) {
    return [t, c + (sum - t + inc)];
  }
  return [t, c + (inc - t + sum)];
}
