/** A typed array of the same kind, `length` long, starting with `array`'s values (growing a buffer by doubling). */
export function grown<T extends Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array>(array: T, length: number): T {
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array);
  return next;
}
