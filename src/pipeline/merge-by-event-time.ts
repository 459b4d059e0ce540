/**
 * A k-way merge of roughly time-sorted inputs into one stream in time order: each input's
 * batches are sorted, and an item is released once no unfinished input can still bring an
 * earlier one (every unfinished input has shown a later item). Memory holds about one batch per
 * input. Used for in-process replays (records) and replays into Kafka (lines).
 */
export async function* mergeByEventTime<T>(inputs: AsyncIterator<T[]>[], timeOf: (item: T) => number): AsyncGenerator<T[]> {
  const byTime = (a: T, b: T) => timeOf(a) - timeOf(b);
  const lanes = inputs.map((input) => ({ input, buffer: [] as T[], done: false }));
  for (;;) {
    for (const lane of lanes) {
      while (!lane.done && lane.buffer.length === 0) {
        const step = await lane.input.next();
        if (step.done === true) lane.done = true;
        else lane.buffer = step.value.sort(byTime);
      }
    }
    // Every unfinished lane has items now: all up to the earliest of their last items is safe.
    let safe = Number.POSITIVE_INFINITY;
    for (const lane of lanes) if (!lane.done) safe = Math.min(safe, timeOf(lane.buffer[lane.buffer.length - 1]!));
    const ready: T[] = [];
    for (const lane of lanes) {
      let i = 0;
      while (i < lane.buffer.length && timeOf(lane.buffer[i]!) <= safe) i++;
      for (let j = 0; j < i; j++) ready.push(lane.buffer[j]!);
      lane.buffer = i === lane.buffer.length ? [] : lane.buffer.slice(i);
    }
    if (ready.length > 0) yield ready.sort(byTime);
    if (lanes.every((lane) => lane.done && lane.buffer.length === 0)) return;
  }
}
