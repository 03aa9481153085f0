import { readFileSync } from 'node:fs';
import type { OperationName } from './generated/operations.js';

// The shape of api-models/ecr.json (written by scripts/build-model.mjs).

export interface Bounds {
  min?: number;
  max?: number;
}

export type MemberType =
  | { type: 'string'; enum?: string; length?: Bounds; pattern?: string; required?: boolean }
  | { type: 'number'; range?: Bounds; required?: boolean }
  | { type: 'boolean' | 'timestamp' | 'document'; required?: boolean }
  | { type: 'blob'; length?: Bounds; required?: boolean }
  | { type: 'list'; member: MemberType; length?: Bounds; required?: boolean }
  | { type: 'map'; key: MemberType; value: MemberType; length?: Bounds; required?: boolean }
  | { type: 'structure'; shape: string; required?: boolean };

export interface StructureShape {
  type: 'structure' | 'union';
  members: Record<string, MemberType>;
}

export interface OperationShape {
  input: string;
  output: string;
  errors: string[];
}

export interface ErrorShape {
  fault: 'client' | 'server';
  httpStatus: number;
  members: Record<string, MemberType>;
}

export interface ServiceModel {
  metadata: { service: string; apiVersion: string; protocol: string; targetPrefix: string; source: string };
  operations: Record<OperationName, OperationShape>;
  structures: Record<string, StructureShape>;
  errors: Record<string, ErrorShape>;
  enums: Record<string, string[]>;
}

const MODEL_URL = new URL('../../api-models/ecr.json', import.meta.url);

let cached: ServiceModel | undefined;

/** The ECR model the server is driven by, read once. */
export function loadModel(): ServiceModel {
  cached ??= JSON.parse(readFileSync(MODEL_URL, 'utf8')) as ServiceModel;
  return cached;
}
