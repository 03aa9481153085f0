// The severity of a matched vulnerability, in ECR's levels.
//
//  source, in order of preference          value                                ECR severity
//  -------------------------------------   ----------------------------------   -------------
//  CVSS v3.1, v3.0, then v4.0 vector       base score >= 9.0                    CRITICAL
//  (affected[].severity, then the          base score 7.0 - 8.9                 HIGH
//  record's severity[]; base score         base score 4.0 - 6.9                 MEDIUM
//  computed from the vector, the v3        base score 0.1 - 3.9                 LOW
//  qualitative bands)                      base score 0.0                       INFORMATIONAL
//  the distribution's own rating           unimportant, negligible              INFORMATIONAL
//  (Debian ecosystem_specific.urgency,     low                                  LOW
//  database_specific.severity, a           medium, moderate                     MEDIUM
//  vendor entry in severity[] such as      high, important                      HIGH
//  Ubuntu's priority)                      critical                             CRITICAL
//                                          not yet assigned, untriaged, other   (next row)
//  CVSS v2 vector (v2's own bands; v2      base score 7.0 - 10.0                HIGH
//  has no critical)                        base score 4.0 - 6.9                 MEDIUM
//                                          base score 0.0 - 3.9                 LOW
//  nothing usable                                                               UNDEFINED
//
// CVSS comes first because ECR's findings (Amazon Inspector's) rate by the CVSS score where there
// is one, not by the distribution's urgency. Base scores come from ae-cvss-calculator, which
// implements the FIRST specifications for v2, v3.0, v3.1 and v4.0.
import cvss from 'ae-cvss-calculator';
import type { FindingSeverity } from '../../model/generated/types.js';
import type { AffectedPackage, OsvSeverity, Vulnerability } from './osv-db.js';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssAssessment {
  version: CvssVersion;
  /** The vector as the data gave it. */
  vector: string;
  baseScore: number;
}

export interface SeverityAssessment {
  severity: FindingSeverity;
  /** The CVSS base score the severity came from, when it came from one. */
  score?: number;
  /** The assessment the severity came from, when it came from a CVSS vector. */
  basis?: CvssAssessment;
  /** Every CVSS vector in the data that could be scored. */
  cvss: CvssAssessment[];
  /** The distribution's own rating, as it wrote it (e.g. Debian's "low", Ubuntu's "medium"). */
  vendorSeverity?: string;
}

/** CVSS v3.x / v4.0 qualitative severity rating scale, in ECR's words (v3's "None" is INFORMATIONAL). */
export function severityForScore(score: number): FindingSeverity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFORMATIONAL';
}

/** CVSS v2's bands (NVD): low 0.0-3.9, medium 4.0-6.9, high 7.0-10.0. */
export function severityForCvss2Score(score: number): FindingSeverity {
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

const VENDOR_LEVELS: Readonly<Record<string, FindingSeverity>> = {
  unimportant: 'INFORMATIONAL',
  negligible: 'INFORMATIONAL',
  informational: 'INFORMATIONAL',
  low: 'LOW',
  medium: 'MEDIUM',
  moderate: 'MEDIUM',
  high: 'HIGH',
  important: 'HIGH',
  critical: 'CRITICAL',
};

/** A distribution's rating in ECR's levels; undefined when it rates nothing yet ("not yet assigned"). */
export function vendorSeverityLevel(rating: string): FindingSeverity | undefined {
  // The Debian tracker may mark an urgency with asterisks ("low**").
  const normalized = rating.trim().toLowerCase().replace(/\*+$/, '');
  return Object.hasOwn(VENDOR_LEVELS, normalized) ? VENDOR_LEVELS[normalized] : undefined;
}

/** Scored vectors are memoized: a scan sees the same few hundred vectors over and over. */
const scoreCache = new Map<string, CvssAssessment | null>();
const SCORE_CACHE_LIMIT = 10_000;

/** The base score of a CVSS v2, v3.0, v3.1 or v4.0 vector; undefined if it is not a complete, valid one. */
export function scoreCvssVector(vector: string): CvssAssessment | undefined {
  const cached = scoreCache.get(vector);
  if (cached !== undefined) return cached ?? undefined;
  const assessment = computeScore(vector);
  if (scoreCache.size >= SCORE_CACHE_LIMIT) scoreCache.clear();
  scoreCache.set(vector, assessment ?? null);
  return assessment;
}

function computeScore(vector: string): CvssAssessment | undefined {
  const text = vector.trim().replace(/^\((.*)\)$/, '$1');
  try {
    if (text.startsWith('CVSS:3.1/')) return v3OrV2('3.1', vector, new cvss.Cvss3P1(text));
    if (text.startsWith('CVSS:3.0/')) return v3OrV2('3.0', vector, new cvss.Cvss3P0(text));
    if (text.startsWith('CVSS:4.0/')) {
      const calculator = new cvss.Cvss4P0(text);
      if (!calculator.isBaseFullyDefined()) return undefined;
      const scores = calculator.calculateScores();
      // CVSS-B: a vector that also carries threat or environmental metrics still gets its base score.
      return finite({ version: '4.0', vector, baseScore: scores.baseMetricsOnly ?? scores.base ?? Number.NaN });
    }
    if (/^(CVSS:2\.0\/)?AV:[LAN]\//.test(text)) return v3OrV2('2.0', vector, new cvss.Cvss2(text.replace(/^CVSS:2\.0\//, '')));
  } catch {
    // An unknown metric or value: not a vector this calculator (or the spec) knows.
  }
  return undefined;
}

interface MultiScoreCalculator {
  isBaseFullyDefined(): boolean;
  calculateScores(): { base: number | undefined };
}

function v3OrV2(version: CvssVersion, vector: string, calculator: MultiScoreCalculator): CvssAssessment | undefined {
  if (!calculator.isBaseFullyDefined()) return undefined;
  return finite({ version, vector, baseScore: calculator.calculateScores().base ?? Number.NaN });
}

function finite(assessment: CvssAssessment): CvssAssessment | undefined {
  return Number.isFinite(assessment.baseScore) ? assessment : undefined;
}

const CVSS_TYPES = new Set(['CVSS_V2', 'CVSS_V3', 'CVSS_V4']);
/** Which scored vector decides, best first. */
const VERSION_PREFERENCE: readonly CvssVersion[] = ['3.1', '3.0', '4.0'];

/** The severity of a vulnerability as matched through one of its affected entries. */
export function assessSeverity(vulnerability: Vulnerability, affected?: AffectedPackage): SeverityAssessment {
  const entries: OsvSeverity[] = [...(affected?.severity ?? []), ...vulnerability.severity];
  const scored: CvssAssessment[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!CVSS_TYPES.has(entry.type) || seen.has(entry.score)) continue;
    seen.add(entry.score);
    const assessment = scoreCvssVector(entry.score);
    if (assessment) scored.push(assessment);
  }
  const vendorSeverity =
    affected?.vendorSeverity ??
    entries.find((entry) => !CVSS_TYPES.has(entry.type))?.score ??
    vulnerability.databaseSeverity;

  const result: SeverityAssessment = { severity: 'UNDEFINED', cvss: scored };
  if (vendorSeverity !== undefined) result.vendorSeverity = vendorSeverity;

  for (const version of VERSION_PREFERENCE) {
    const basis = scored.find((assessment) => assessment.version === version);
    if (basis) return { ...result, severity: severityForScore(basis.baseScore), score: basis.baseScore, basis };
  }
  const vendorLevel = vendorSeverity === undefined ? undefined : vendorSeverityLevel(vendorSeverity);
  if (vendorLevel) return { ...result, severity: vendorLevel };
  const v2 = scored.find((assessment) => assessment.version === '2.0');
  if (v2) return { ...result, severity: severityForCvss2Score(v2.baseScore), score: v2.baseScore, basis: v2 };
  return result;
}
