import { randomUUID } from 'node:crypto';
import { nanoid } from 'nanoid';

/** AWS request ids are UUIDs. */
export const newRequestId = (): string => randomUUID();

/** Secret part of an authorization token: long, URL-safe, unguessable. */
export const newTokenSecret = (): string => nanoid(48);
