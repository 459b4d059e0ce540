/**
 * Whether a Kafka error says this producer was fenced: another member initialised the same
 * transactional id (it took the partition over), so this one must stop writing for it.
 */
export function isFenced(error: unknown): boolean {
  for (let e = error as { type?: string; name?: string; message?: string; cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (e.type === 'PRODUCER_FENCED' || e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED') return true;
    if (e.name === 'KafkaJSNonRetriableError' && /fenced|epoch/i.test(e.message ?? '')) return true;
  }
  return false;
}
