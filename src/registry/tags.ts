import { repositoryEntriesPrefix, tagKey } from '../store/keys.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { sendJson } from './http.js';
import { requireRepository } from '../features/repositories/lookup.js';

/** A page with no `n` has at most this many tags (and a Link to the next page). */
const DEFAULT_PAGE = 1000;

/** GET /v2/<name>/tags/list?n=&last=: tags in lexical order, paged with a Link header. */
export const listTags: RegistryHandler = async ({ store }, { res, scope, name, url }) => {
  await requireRepository(store, scope, name);
  const nParam = url.searchParams.get('n');
  const last = url.searchParams.get('last') ?? undefined;
  const n = nParam === null ? DEFAULT_PAGE : Number(nParam);
  if (!Number.isInteger(n) || n < 0) throw registryError('PAGINATION_NUMBER_INVALID', `invalid page size n=${nParam}`, { detail: { n: nParam } });
  const prefix = repositoryEntriesPrefix(scope, name);
  const entries = n === 0 ? [] : await store.tables.tags.list(prefix, { after: last === undefined ? undefined : tagKey(scope, name, last), limit: n + 1 });
  const tags = entries.slice(0, n).map(([key]) => key.slice(prefix.length));
  const headers: Record<string, string> = {};
  if (entries.length > n && tags.length) {
    headers.Link = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1])}>; rel="next"`;
  }
  sendJson(res, 200, { name, tags }, headers);
};
