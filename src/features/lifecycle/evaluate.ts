import type { LifecycleDecision, LifecycleImage, LifecyclePolicy, LifecycleRule, LifecycleSelection } from './policy-types.js';
import { matchesWildcard } from '../../lib/wildcard.js';

// ECR's lifecycle policy evaluator, as a pure function of the policy, the repository's images
// and the time. The rules it follows are the userguide's "Lifecycle policy evaluation rules"
// (LifecyclePolicies.html#lp_evaluation_rules) and the worked outcomes on
// lifecycle_policy_examples.html; where a choice was left open it is named below.
//
// - Every rule first *identifies* the images its selection matches: its tag requirement
//   (tagStatus, tagPrefixList / tagPatternList) within its storage class ("The rule will only
//   select images of this storage class", lifecycle_policy_parameters.html). It then *marks*
//   the identified images its count says to act on.
// - Rules are applied lowest rulePriority first. "An image that matches the tagging
//   requirements of a rule cannot be expired or archived by a rule with a lower priority", and
//   "rules can never mark images that are marked by higher priority rules, but can still
//   identify them as if they haven't been expired or archived": a lower rule still counts an
//   image a higher rule identified (or marked), but never acts on it. The examples page fixes
//   this reading: in "Filtering on all images", example B, rule 3 (any, keep 1) counts all five
//   images, keeps E and can act only on D, since rules 1 and 2 identified the rest.
// - Identification is per storage class, so a standard `any` rule does not shield archived
//   images from an archive rule (the "Combining archive and expire rules" example).
// - Count rules keep the newest `countNumber` identified images and mark the rest. Age rules
//   mark images strictly older than `countNumber` days: "older than one day" leaves an image
//   pushed exactly one day ago (all-images example B, image E).
// - Images are ordered by push time, or for archived images by the time they were archived
//   ("ordered by pushed_at_time or transitioned_at_time"); a restored image's last_activated_at
//   stands in for its push time, in the ordering and in sinceImagePushed alike ("the image's
//   last_activated_at is used instead of pushed_at_time"). Equal times are ordered by digest,
//   the lexicographically smaller digest counting as the older, so the outcome depends only on
//   the set of images, never on the order they are listed in.
// - "If an image is referenced by a manifest list, it cannot be expired or archived without the
//   manifest list being deleted or archived first." Read respectively: an image a list in the
//   repository references is expired only when every such list is expired in the same
//   evaluation, and archived only when every such list is expired, archived in the same
//   evaluation, or already archived. Until then it is held: identified (so still shielded from
//   lower rules and still counted) but not acted on. So the untagged children of a tagged index
//   outlive an untagged rule for as long as the index stays.
// - "When reference artifacts are present in a repository, Amazon ECR lifecycle policies
//   automatically expire or archive those artifacts within 24 hours of the deletion or archival
//   of the subject image": an artifact whose subject this evaluation expires (archives) is
//   expired (archived) with it, under the subject's rule priority. Rules also act on artifacts
//   directly: they are images like any other, and docs list no exemption for them.
//
// Decisions come back by rule priority, oldest first within a rule, except that a manifest list
// always comes before the images it references, so they can be removed one at a time in order.

const DAY_MS = 24 * 60 * 60 * 1000;

export function evaluateLifecyclePolicy(policy: LifecyclePolicy, images: LifecycleImage[], now: number): LifecycleDecision[] {
  const repository = new Repository(images);
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const decisions = withReferenceRules(decideByRules(rules, repository.images, now), repository);
  return executionOrder(decisions, repository);
}

/** The images by digest, and who references whom. */
class Repository {
  readonly images: LifecycleImage[];
  private readonly byDigest = new Map<string, LifecycleImage>();
  private readonly listsByChild = new Map<string, LifecycleImage[]>();
  private readonly referrersBySubject = new Map<string, LifecycleImage[]>();

  constructor(images: LifecycleImage[]) {
    const byDigest = this.byDigest;
    for (const image of images) if (!byDigest.has(image.digest)) byDigest.set(image.digest, image);
    this.images = [...byDigest.values()];
    for (const image of this.images) {
      for (const child of new Set(image.manifests)) {
        if (child !== image.digest && byDigest.has(child)) append(this.listsByChild, child, image);
      }
      if (image.subject !== undefined && image.subject !== image.digest) append(this.referrersBySubject, image.subject, image);
    }
  }

  /** The manifest lists / indexes in the repository that reference `digest`. */
  listsReferencing(digest: string): LifecycleImage[] {
    return this.listsByChild.get(digest) ?? [];
  }

  /** The artifacts in the repository whose subject is `digest`. */
  referrersOf(digest: string): LifecycleImage[] {
    return this.referrersBySubject.get(digest) ?? [];
  }

  get(digest: string): LifecycleImage | undefined {
    return this.byDigest.get(digest);
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const existing = map.get(key);
  if (existing) existing.push(value);
  else map.set(key, [value]);
}

/** What the rules alone decide: each image acted on by the first rule that identifies and marks it. */
function decideByRules(rules: LifecycleRule[], images: LifecycleImage[], now: number): Map<string, LifecycleDecision> {
  const decided = new Map<string, LifecycleDecision>();
  const identifiedByHigher = new Set<string>();
  for (const rule of rules) {
    const identified = images.filter((image) => identifies(rule.selection, image));
    for (const image of marked(rule.selection, identified, now)) {
      if (identifiedByHigher.has(image.digest)) continue;
      const decision = decisionOf(rule, image);
      if (decision) decided.set(image.digest, decision);
    }
    for (const image of identified) identifiedByHigher.add(image.digest);
  }
  return decided;
}

function identifies(selection: LifecycleSelection, image: LifecycleImage): boolean {
  const storageClass = image.storageClass === 'ARCHIVE' ? 'archive' : 'standard';
  return storageClass === selection.storageClass && matchesTags(selection, image.tags);
}

/**
 * tagStatus, then the lists: every prefix / pattern must match at least one of the image's tags
 * (not necessarily the same one). The parser admits a list only on a tagged rule, and exactly
 * one list there; a tagged rule without one would select every tagged image.
 */
function matchesTags(selection: LifecycleSelection, tags: string[]): boolean {
  switch (selection.tagStatus) {
    case 'any':
      return true;
    case 'untagged':
      return tags.length === 0;
    case 'tagged': {
      if (tags.length === 0) return false;
      const prefixes = selection.tagPrefixList ?? [];
      const patterns = selection.tagPatternList ?? [];
      return (
        prefixes.every((prefix) => tags.some((tag) => tag.startsWith(prefix))) &&
        patterns.every((pattern) => tags.some((tag) => matchesWildcard(pattern, tag)))
      );
    }
  }
}

/** The identified images the rule's count says to act on, oldest first. */
function marked(selection: LifecycleSelection, identified: LifecycleImage[], now: number): LifecycleImage[] {
  const oldestFirst = [...identified].sort(olderFirst);
  if (selection.countType === 'imageCountMoreThan') {
    return oldestFirst.slice(0, Math.max(0, oldestFirst.length - selection.countNumber));
  }
  const limit = selection.countNumber * DAY_MS;
  return oldestFirst.filter((image) => {
    const since = ageReference(selection, image);
    return since !== undefined && now - since > limit;
  });
}

/** The time an age rule counts from; undefined when the rule cannot age this image. */
function ageReference(selection: LifecycleSelection, image: LifecycleImage): number | undefined {
  switch (selection.countType) {
    case 'sinceImagePushed':
      return pushTime(image);
    case 'sinceImagePulled':
      return pullTime(image);
    case 'sinceImageTransitioned':
      // "all archived images whose last_archived_at is older than ...": an image without an
      // archive time is not one of them (ECR always has it for an archived image).
      return image.storageClass === 'ARCHIVE' ? image.transitionedAt : undefined;
    case 'imageCountMoreThan':
      return undefined;
  }
}

/** The push time, or the restore time for an image restored from archive. */
const pushTime = (image: LifecycleImage): number => image.lastActivatedAt ?? image.pushedAt;

/**
 * ECR's last_recorded_pulltime; "if an image was never pulled, the image's pushed_at_time is used
 * instead", and an image restored but not pulled since counts from its restore (last_activated_at).
 */
function pullTime(image: LifecycleImage): number {
  const { lastPulledAt, lastActivatedAt, pushedAt } = image;
  if (lastActivatedAt !== undefined && (lastPulledAt === undefined || lastPulledAt < lastActivatedAt)) return lastActivatedAt;
  return lastPulledAt ?? pushedAt;
}

/** The time images are ordered by: when archived for an archived image, else when pushed (or restored). */
const orderingTime = (image: LifecycleImage): number =>
  image.storageClass === 'ARCHIVE' ? (image.transitionedAt ?? pushTime(image)) : pushTime(image);

function olderFirst(a: LifecycleImage, b: LifecycleImage): number {
  return orderingTime(a) - orderingTime(b) || compareDigests(a.digest, b.digest);
}

const compareDigests = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The rule's action on one image; a transition never applies to an image already archived. */
function decisionOf(rule: LifecycleRule, image: LifecycleImage): LifecycleDecision | undefined {
  if (rule.action.type === 'expire') return { digest: image.digest, action: 'EXPIRE', appliedRulePriority: rule.rulePriority };
  if (image.storageClass === 'ARCHIVE') return undefined;
  return { digest: image.digest, action: 'TRANSITION', targetStorageClass: 'ARCHIVE', appliedRulePriority: rule.rulePriority };
}

/**
 * The rules' decisions, less what a manifest list holds back, plus the artifacts that follow
 * their subjects. Holding an image can hold others (an artifact no longer follows a held
 * subject; a list no longer acted on holds its children), so this repeats until nothing more is
 * held. The held set only grows, so it ends.
 */
function withReferenceRules(byRules: Map<string, LifecycleDecision>, repository: Repository): Map<string, LifecycleDecision> {
  const held = new Set<string>();
  for (;;) {
    const decisions = new Map([...byRules].filter(([digest]) => !held.has(digest)));
    followSubjects(decisions, repository, held);
    const newlyHeld = [...decisions.values()].filter((decision) => isHeldByList(decision, repository, decisions));
    if (newlyHeld.length === 0) return decisions;
    for (const decision of newlyHeld) held.add(decision.digest);
  }
}

/** Adds (in place) the artifacts that go with their subjects: expired with it, or archived with it. */
function followSubjects(decisions: Map<string, LifecycleDecision>, repository: Repository, held: Set<string>): void {
  const pending = [...decisions.values()];
  for (let subject = pending.pop(); subject; subject = pending.pop()) {
    for (const referrer of repository.referrersOf(subject.digest)) {
      if (held.has(referrer.digest)) continue;
      const current = decisions.get(referrer.digest);
      let follows: LifecycleDecision | undefined;
      if (subject.action === 'EXPIRE' && current?.action !== 'EXPIRE') {
        follows = { digest: referrer.digest, action: 'EXPIRE', appliedRulePriority: subject.appliedRulePriority };
      } else if (subject.action === 'TRANSITION' && !current && referrer.storageClass === 'STANDARD') {
        follows = { digest: referrer.digest, action: 'TRANSITION', targetStorageClass: 'ARCHIVE', appliedRulePriority: subject.appliedRulePriority };
      }
      if (follows) {
        decisions.set(referrer.digest, follows);
        pending.push(follows);
      }
    }
  }
}

/** Whether a manifest list that references the image keeps it, as things stand in `decisions`. */
function isHeldByList(decision: LifecycleDecision, repository: Repository, decisions: Map<string, LifecycleDecision>): boolean {
  return repository.listsReferencing(decision.digest).some((list) => {
    const listDecision = decisions.get(list.digest);
    if (decision.action === 'EXPIRE') return listDecision?.action !== 'EXPIRE';
    return listDecision === undefined && list.storageClass !== 'ARCHIVE';
  });
}

/** By rule priority, oldest first; each manifest list ahead of the images it references. */
function executionOrder(decisions: Map<string, LifecycleDecision>, repository: Repository): LifecycleDecision[] {
  const imageOf = (decision: LifecycleDecision): LifecycleImage => repository.get(decision.digest)!;
  const sorted = [...decisions.values()].sort(
    (a, b) => a.appliedRulePriority - b.appliedRulePriority || olderFirst(imageOf(a), imageOf(b)),
  );
  const ordered: LifecycleDecision[] = [];
  const placed = new Set<string>();
  const place = (decision: LifecycleDecision): void => {
    if (placed.has(decision.digest)) return;
    placed.add(decision.digest);
    for (const list of repository.listsReferencing(decision.digest)) {
      const listDecision = decisions.get(list.digest);
      if (listDecision) place(listDecision);
    }
    ordered.push(decision);
  };
  sorted.forEach(place);
  return ordered;
}
