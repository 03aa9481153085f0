// The part of an image's filesystem the scanner needs, built up layer by layer with OCI/AUFS
// whiteouts applied. Only what can matter for finding os-release and the package databases is
// kept: the contents of those files (and of files that look like them, so symlinks and hardlinks
// to them resolve), every symlink (a path's directories may be symlinks, as in merged /usr), and
// the directories on the way. Other entries are remembered only where they hide something kept.
//
// A layer's entries go into an upper tree; whiteouts in it apply to the lower layers only (OCI
// image spec, "Whiteouts"), so the upper tree records them as flags and commitLayer() applies
// them before merging the layer's own entries into the lower tree.
//
// What the tree holds is bounded, not just the kept files' contents: every node is charged for
// the bytes it alone holds (its name, a link's target, a file's contents), so a layer of a
// million symlinks with 4 MiB targets (pax linkpath records gzip to almost nothing) fails the
// scan at the limit instead of holding gigabytes of strings.

import { ScanFailure } from './inventory.js';

interface Flags {
  /** A whiteout for this path was in the layer: what lower layers had here is deleted. */
  whiteout?: boolean;
  /** Bytes this node alone holds: its name, a symlink's target, a file's contents. */
  cost: number;
}

export interface DirNode extends Flags {
  kind: 'dir';
  children: Map<string, TreeNode>;
  /** The layer had an opaque whiteout here: lower layers' contents of this directory are hidden. */
  opaque?: boolean;
}
export interface FileNode extends Flags {
  kind: 'file';
  content: Buffer;
}
export interface SymlinkNode extends Flags {
  kind: 'symlink';
  target: string;
}
/** A non-directory the scanner does not keep; it matters only as hiding what was below it. */
interface OtherNode extends Flags {
  kind: 'other';
}
/** Only a whiteout: nothing of this layer is at the path. Never in the lower tree. */
interface AbsentNode extends Flags {
  kind: 'absent';
}
export type TreeNode = DirNode | FileNode | SymlinkNode | OtherNode | AbsentNode;

/** Linux gives up after 40 symlinks in one lookup (MAXSYMLINKS); so does the scanner. */
const MAX_SYMLINK_HOPS = 40;

function newDir(cost = 0): DirNode {
  return { kind: 'dir', children: new Map(), cost };
}

function split(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

/** Bytes held by a subtree: its nodes' costs. */
function heldBytes(node: TreeNode): number {
  let total = node.cost;
  if (node.kind === 'dir') for (const child of node.children.values()) total += heldBytes(child);
  return total;
}

export class LayeredTree {
  private lower: DirNode = newDir();
  private upper: DirNode = newDir();
  /** Bytes the nodes of both trees hold (see Flags.cost). */
  private held = 0;
  /** The layer being added, for failure reasons. */
  private layerDigest = '';

  constructor(private readonly maxHeldBytes: number) {}

  /** The entries that follow are the layer `digest`'s. */
  beginLayer(digest: string): void {
    this.layerDigest = digest;
  }

  /** Checks, before a body is read, that keeping `bytes` more stays within the limit. */
  reserve(bytes: number, path: string, layerDigest: string): void {
    if (this.held + bytes > this.maxHeldBytes) {
      throw new ScanFailure(
        `Layer ${layerDigest} has ${path} of ${bytes} bytes, which with the files already kept passes the limit of ${this.maxHeldBytes} bytes`,
      );
    }
  }

  addFile(path: string, content: Buffer): void {
    this.put(path, { kind: 'file', content, cost: content.length });
  }

  addSymlink(path: string, target: string): void {
    this.put(path, { kind: 'symlink', target, cost: target.length });
  }

  /**
   * A hardlink to a kept file becomes a kept file; to anything else, nothing worth keeping. The
   * contents are shared, but charged again: otherwise a link could keep a whited-out file's
   * contents alive uncharged.
   */
  addHardlink(path: string, target: string, keep: boolean): void {
    const linked = this.lookupIn(this.upper, target, false) ?? this.lookupIn(this.lower, target, false);
    if (keep && linked?.node.kind === 'file') this.addFile(path, linked.node.content);
    else this.addOther(path);
  }

  addDirectory(path: string): void {
    // An existing directory merges with this one; only a non-directory needs replacing.
    const existing = this.exactIn(this.upper, path) ?? this.exactIn(this.lower, path);
    if (existing !== undefined && existing.kind !== 'dir') this.put(path, newDir());
  }

  addOther(path: string): void {
    if (this.exactIn(this.upper, path) !== undefined || this.exactIn(this.lower, path) !== undefined) {
      this.put(path, { kind: 'other', cost: 0 });
    }
  }

  /** `.wh.<name>`: deletes `path` (and anything under it) from the lower layers. */
  addWhiteout(path: string): void {
    if (this.exactIn(this.lower, path) === undefined) return;
    const existing = this.exactIn(this.upper, path);
    if (existing !== undefined) existing.whiteout = true;
    else this.put(path, { kind: 'absent', whiteout: true, cost: 0 });
  }

  /** `.wh..wh..opq`: hides the lower layers' contents of the directory `path`. */
  addOpaque(path: string): void {
    if (path !== '' && this.exactIn(this.lower, path) === undefined) return;
    const existing = path === '' ? this.upper : this.exactIn(this.upper, path);
    if (existing?.kind === 'dir') {
      existing.opaque = true;
    } else {
      const dir: DirNode = { ...newDir(), opaque: true };
      this.put(path, dir);
    }
  }

  /** The layer is complete: apply its whiteouts to the layers below, then lay it over them. */
  commitLayer(): void {
    this.merge(this.lower, this.upper);
    this.upper = newDir();
  }

  /** Bytes held now (tests check that whiteouts and replacements give them back). */
  heldBytes(): number {
    return this.held;
  }

  /** The node at `path` in the committed layers, following symlinks (the last one too). */
  resolve(path: string): { path: string; node: TreeNode } | undefined {
    return this.lookupIn(this.lower, path, true);
  }

  private put(path: string, node: TreeNode): void {
    const names = split(path);
    const name = names.pop();
    if (name === undefined) return;
    let dir = this.upper;
    for (const part of names) {
      let child = dir.children.get(part);
      if (child?.kind !== 'dir') {
        const replacement: DirNode = { ...newDir(part.length), whiteout: child?.whiteout };
        if (child !== undefined) this.release(child);
        dir.children.set(part, replacement);
        this.charge(replacement.cost, path);
        child = replacement;
      }
      dir = child;
    }
    const existing = dir.children.get(name);
    if (existing !== undefined) {
      this.release(existing);
      if (existing.whiteout) node.whiteout = true;
    }
    node.cost += name.length;
    dir.children.set(name, node);
    this.charge(node.cost, path);
  }

  private charge(bytes: number, path: string): void {
    this.held += bytes;
    if (this.held > this.maxHeldBytes) {
      throw new ScanFailure(
        `Layer ${this.layerDigest} has ${path}, which with the files, names and link targets already kept passes the limit of ${this.maxHeldBytes} bytes`,
      );
    }
  }

  private release(node: TreeNode): void {
    this.held -= heldBytes(node);
  }

  /** Lays `upper` over `lower`; each upper node's cost moves to the lower node it becomes, or is given back. */
  private merge(lower: DirNode, upper: DirNode): void {
    if (upper.opaque) {
      for (const child of lower.children.values()) this.release(child);
      lower.children = new Map();
    }
    for (const [name, node] of upper.children) {
      let below = lower.children.get(name);
      if (below !== undefined && (node.whiteout || node.kind !== 'dir' || below.kind !== 'dir')) {
        this.release(below);
        lower.children.delete(name);
        below = undefined;
      }
      switch (node.kind) {
        case 'absent':
        case 'other':
          this.held -= node.cost;
          break;
        case 'file':
          lower.children.set(name, { kind: 'file', content: node.content, cost: node.cost });
          break;
        case 'symlink':
          lower.children.set(name, { kind: 'symlink', target: node.target, cost: node.cost });
          break;
        case 'dir': {
          let dir = below;
          if (dir?.kind !== 'dir') {
            dir = newDir(node.cost);
            lower.children.set(name, dir);
          } else {
            // The lower directory already holds the name.
            this.held -= node.cost;
          }
          this.merge(dir, node);
          break;
        }
      }
    }
  }

  private exactIn(root: DirNode, path: string): TreeNode | undefined {
    let node: TreeNode = root;
    for (const name of split(path)) {
      if (node.kind !== 'dir') return undefined;
      const child: TreeNode | undefined = node.children.get(name);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  private lookupIn(root: DirNode, path: string, followLast: boolean, hops = 0): { path: string; node: TreeNode } | undefined {
    const names = split(path);
    let dir = root;
    for (let i = 0; i < names.length; i += 1) {
      const node = dir.children.get(names[i]);
      if (node === undefined || node.kind === 'absent') return undefined;
      const last = i === names.length - 1;
      if (node.kind === 'symlink' && (!last || followLast)) {
        if (hops >= MAX_SYMLINK_HOPS) return undefined;
        // Relative targets are relative to the link's directory; `..` stops at the root, as
        // it does inside a container.
        const base = node.target.startsWith('/') ? [] : names.slice(0, i);
        const rest = names.slice(i + 1);
        return this.lookupIn(root, joinClamped([...base, ...node.target.split('/'), ...rest]), followLast, hops + 1);
      }
      if (last) return { path: names.join('/'), node };
      if (node.kind !== 'dir') return undefined;
      dir = node;
    }
    return { path: '', node: root };
  }
}

/** Joins path segments, dropping empty and `.` segments and letting `..` go no higher than the root. */
function joinClamped(segments: string[]): string {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}
