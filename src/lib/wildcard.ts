// ECR's WILDCARD filters (tag mutability exclusions, lifecycle tagPatternList, scanning
// repository filters): `*` matches any run of characters, everything else only itself.

/** A whole-tag match where `*` stands for any run of characters (empty included) and all else is literal. */
export function matchesWildcard(pattern: string, tag: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === tag;
  const head = parts[0];
  const tail = parts[parts.length - 1];
  if (tag.length < head.length + tail.length || !tag.startsWith(head) || !tag.endsWith(tail)) return false;
  // Leftmost placement of each middle part is safe: with `*` the only operator, an earlier match
  // never leaves less room for the parts after it.
  const end = tag.length - tail.length;
  let position = head.length;
  for (const part of parts.slice(1, -1)) {
    const found = tag.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}
