import { describe, expect, it } from 'vitest';
import { NO_LABELS } from '../../../src/model/endpoint.ts';
import { FieldError } from '../../../src/parsers/field-reader.ts';
import { parseLabels } from '../../../src/parsers/labels.ts';

describe('parseLabels', () => {
  it('reads Calico and Hubble label lists', () => {
    expect(parseLabels(['app=nginx', 'tier=web'], 'l')).toEqual({ app: 'nginx', tier: 'web' });
    expect(parseLabels({ labels: ['app=nginx'] }, 'l')).toEqual({ app: 'nginx' });
    expect(parseLabels(['k8s:app=nginx', 'reserved:world'], 'l')).toEqual({ app: 'nginx', 'reserved:world': '' });
    expect(parseLabels('-', 'l')).toBe(NO_LABELS);
    expect(parseLabels([], 'l')).toBe(NO_LABELS);
  });

  it('shares one frozen set between records with the same list, and tells lists apart past their first item', () => {
    const a = parseLabels(['app=cache-test', 'env=prod'], 'l');
    expect(parseLabels(['app=cache-test', 'env=prod'], 'l')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(parseLabels(['app=cache-test', 'env=dev'], 'l')).toEqual({ app: 'cache-test', env: 'dev' });
    expect(parseLabels(['app=cache-test'], 'l')).toEqual({ app: 'cache-test' });
    expect(parseLabels(['app=cache-test', 'env=prod', 'x=1'], 'l')).toEqual({ app: 'cache-test', env: 'prod', x: '1' });
  });

  it('rejects a list with an item that is not a string, even after the same first item was cached', () => {
    parseLabels(['app=reject-test'], 'l');
    expect(() => parseLabels(['app=reject-test', 7], 'source_labels')).toThrow(FieldError);
  });
});
