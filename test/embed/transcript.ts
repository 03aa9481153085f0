import * as sdk from '@aws-sdk/client-ecr';

// A record of the calls one scenario made and what each answered, normalized so that two runs
// (one over HTTP, one in-process) compare equal when they behaved alike: request ids, dates,
// upload ids, token secrets and the hosts in URLs differ between any two runs and are masked.

type Sendable<I extends sdk.ServiceInputTypes, O extends sdk.ServiceOutputTypes> = Parameters<typeof sdk.ECRClient.prototype.send<I, O>>[0];

/** The parts of $metadata that must agree: the status, and whether a request id came back (its value differs). */
interface Metadata {
  status: number | undefined;
  requestId: boolean;
}

export type Outcome =
  | ({ operation: string; output: unknown } & Metadata)
  | ({ operation: string; error: { name: string; message: string; fault: unknown; fields: unknown } } & Metadata);

const metadataOf = ({ httpStatusCode, requestId }: { httpStatusCode?: number; requestId?: string }): Metadata => ({
  status: httpStatusCode,
  requestId: typeof requestId === 'string' && requestId.length > 0,
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Masks what legitimately differs between two runs; keeps everything else as answered. */
export function normalize(value: unknown, key?: string): unknown {
  if (value instanceof Date) return '<date>';
  if (value instanceof Uint8Array) return `<bytes ${Buffer.from(value).toString('base64')}>`;
  if (Array.isArray(value)) return value.map((item) => normalize(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([name]) => !name.startsWith('$'))
        .map(([name, member]) => [name, normalize(member, name)]),
    );
  }
  if (typeof value !== 'string') return value;
  switch (key) {
    case 'authorizationToken': {
      // base64 "AWS:<password>": the user is kept, the secret masked.
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return `${decoded.slice(0, decoded.indexOf(':') + 1)}<secret>`;
    }
    case 'repositoryUri':
      return value.replace(/^[^/]+/, '<host>');
    case 'downloadUrl':
      // The token signs an expiry time, so it differs run to run.
      return value.replace(/^(https?:\/\/)[^/]+/, '$1<host>').replace(/[^/]+$/, '<token>');
    default:
      return value.replace(/^(https?:\/\/)[^/]+/, '$1<host>').replace(UUID, '<uuid>');
  }
}

const operationOf = (command: object): string => command.constructor.name.replace(/Command$/, '');

export class Transcript {
  readonly outcomes: Outcome[] = [];
  /** The errors thrown, unnormalized, in order (to compare their classes). */
  readonly errors: Error[] = [];

  constructor(readonly client: sdk.ECRClient) {}

  get operations(): Set<string> {
    return new Set(this.outcomes.map((outcome) => outcome.operation));
  }

  /** Sends a call that must succeed; records and returns its answer. */
  async ok<I extends sdk.ServiceInputTypes, O extends sdk.ServiceOutputTypes>(command: Sendable<I, O>): Promise<O> {
    let output: O;
    try {
      output = await this.client.send(command);
    } catch (error) {
      throw new Error(`${operationOf(command)} failed: ${String(error)}`, { cause: error });
    }
    this.outcomes.push({ operation: operationOf(command), ...metadataOf(output.$metadata), output: normalize(output) });
    return output;
  }

  /** Sends a call that must fail with `expected` (by name, and by class when the SDK models it). */
  async fails<I extends sdk.ServiceInputTypes, O extends sdk.ServiceOutputTypes>(command: Sendable<I, O>, expected: string): Promise<Error> {
    const thrown: unknown = await this.client.send(command).then(
      (output) => new Error(`${operationOf(command)} succeeded, expected ${expected}: ${JSON.stringify(normalize(output))}`),
      (error: unknown) => error,
    );
    if (!(thrown instanceof sdk.ECRServiceException)) throw thrown;
    expect({ operation: operationOf(command), name: thrown.name }).toEqual({ operation: operationOf(command), name: expected });
    const modeled = (sdk as unknown as Record<string, unknown>)[expected];
    if (typeof modeled === 'function') expect(thrown).toBeInstanceOf(modeled);
    const { name, message, $fault, $metadata } = thrown;
    const fields = Object.fromEntries(Object.entries(thrown).filter(([field]) => !field.startsWith('$') && !['name', 'message', 'Message'].includes(field)));
    this.outcomes.push({
      operation: operationOf(command),
      ...metadataOf($metadata),
      error: { name, message: normalize(message) as string, fault: $fault, fields: normalize(fields) },
    });
    this.errors.push(thrown);
    return thrown;
  }
}
