// CycloneDX 1.6 JSON (bom-1.6.schema.json), written once by hand: the parts portcullis emits, with
// the schema's names and enumerations, so the encoder cannot emit a field or value the spec lacks.

export type CdxComponentType =
  | 'application' | 'framework' | 'library' | 'container' | 'platform' | 'operating-system' | 'device'
  | 'device-driver' | 'firmware' | 'file' | 'machine-learning-model' | 'data' | 'cryptographic-asset';

/** `property`: name/value pairs (names under the `portcullis:` namespace). */
export interface CdxProperty {
  name: string;
  value?: string;
}

export type CdxHashAlg =
  | 'MD5' | 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA3-256' | 'SHA3-384' | 'SHA3-512'
  | 'BLAKE2b-256' | 'BLAKE2b-384' | 'BLAKE2b-512' | 'BLAKE3';

export interface CdxHash {
  alg: CdxHashAlg;
  content: string;
}

/** `licenseChoice`: a list of licenses, or one SPDX expression. */
export type CdxLicenseChoice = { license: { id: string } | { name: string } } | { expression: string };

export interface CdxComponent {
  type: CdxComponentType;
  'bom-ref'?: string;
  author?: string;
  name: string;
  version?: string;
  description?: string;
  scope?: 'required' | 'optional' | 'excluded';
  hashes?: CdxHash[];
  licenses?: CdxLicenseChoice[];
  purl?: string;
  properties?: CdxProperty[];
}

export interface CdxMetadata {
  timestamp?: string;
  tools?: { components?: CdxComponent[] };
  component?: CdxComponent;
  properties?: CdxProperty[];
}

export interface CdxDependency {
  ref: string;
  dependsOn?: string[];
}

export type CdxImpactAnalysisState = 'resolved' | 'resolved_with_pedigree' | 'exploitable' | 'in_triage' | 'false_positive' | 'not_affected';

export type CdxImpactAnalysisJustification =
  | 'code_not_present' | 'code_not_reachable' | 'requires_configuration' | 'requires_dependency' | 'requires_environment'
  | 'protected_by_compiler' | 'protected_at_runtime' | 'protected_at_perimeter' | 'protected_by_mitigating_control';

export type CdxAnalysisResponse = 'can_not_fix' | 'will_not_fix' | 'update' | 'rollback' | 'workaround_available';

export interface CdxAnalysis {
  state?: CdxImpactAnalysisState;
  justification?: CdxImpactAnalysisJustification;
  response?: CdxAnalysisResponse[];
  detail?: string;
}

export type CdxSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none' | 'unknown';

export type CdxScoreMethod = 'CVSSv2' | 'CVSSv3' | 'CVSSv31' | 'CVSSv4' | 'OWASP' | 'SSVC' | 'other';

export interface CdxRating {
  source?: { name?: string; url?: string };
  score?: number;
  severity?: CdxSeverity;
  method?: CdxScoreMethod;
  vector?: string;
}

export interface CdxVulnerability {
  'bom-ref'?: string;
  id?: string;
  source?: { name?: string; url?: string };
  references?: { id: string; source: { name?: string; url?: string } }[];
  ratings?: CdxRating[];
  description?: string;
  recommendation?: string;
  advisories?: { title?: string; url: string }[];
  published?: string;
  updated?: string;
  analysis?: CdxAnalysis;
  affects?: { ref: string; versions?: { version: string; status?: 'affected' | 'unaffected' | 'unknown' }[] }[];
  properties?: CdxProperty[];
}

export interface CdxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber?: string;
  version?: number;
  metadata?: CdxMetadata;
  components?: CdxComponent[];
  dependencies?: CdxDependency[];
  vulnerabilities?: CdxVulnerability[];
  compositions?: CdxComposition[];
}

/** How complete the BOM knows itself to be (CycloneDX `compositions`). */
export interface CdxComposition {
  aggregate: 'complete' | 'incomplete' | 'unknown' | 'not_specified';
  assemblies?: string[];
}
