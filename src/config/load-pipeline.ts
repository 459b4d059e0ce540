import { readFileSync } from 'node:fs';
import { parse as parseYaml, parseDocument } from 'yaml';
import type { z } from 'zod';
import { FlowhoundError } from '../errors.ts';
import { pipelineSchema, type PipelineConfig } from './pipeline-schema.ts';

/**
 * Reads and validates a pipeline file. Every error names the file, the field and what was
 * expected, e.g. `pipelines/calico.yaml: sources.flows.format: Invalid option: expected one of …`.
 * `${VAR}` and `${VAR:-default}` in string values are replaced from the environment first.
 */
export function loadPipelineFile(path: string, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlowhoundError('FH_CONFIG_UNREADABLE', `${path}: cannot read pipeline file: ${(error as Error).message}`, { cause: error });
  }
  return parsePipeline(text, path, env);
}

export function parsePipeline(text: string, path: string, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    throw new FlowhoundError('FH_CONFIG_INVALID', `${path}: invalid YAML: ${first.message}`);
  }
  const raw = interpolate(document.toJS() as unknown, [], path, env);
  return validatePipeline(raw, path);
}

export function validatePipeline(raw: unknown, path: string): PipelineConfig {
  const result = pipelineSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${path}: ${describeIssue(issue)}`);
    throw new FlowhoundError('FH_CONFIG_INVALID', lines.join('\n'));
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  if (issue.code === 'invalid_union' && issue.path.at(-1) !== undefined) {
    return `${field}: ${issue.message}; see the configuration reference in README.md`;
  }
  return `${field}: ${issue.message}`;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_VARIABLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

function interpolate(value: unknown, at: string[], path: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const replaced = value.replace(VARIABLE, (_match, variable: string, fallback: string | undefined) => {
      const found = env[variable];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new FlowhoundError('FH_CONFIG_INVALID', `${path}: ${at.join('.') || '(top level)'}: environment variable ${variable} is not set and has no default (write \${${variable}:-value})`);
    });
    // A value that is one placeholder takes the type it reads as (`port: ${PORT:-9464}` is a number).
    if (WHOLE_VARIABLE.test(value) && /^(-?\d+(\.\d+)?|true|false)$/.test(replaced)) return parseYaml(replaced) as unknown;
    return replaced;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, [...at, String(i)], path, env));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, [...at, key], path, env);
    return out;
  }
  return value;
}
