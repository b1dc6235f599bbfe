// SARIF 2.1.0 (sarif-schema-2.1.0.json), written once by hand: the log, run, rules and results
// portcullis emits, with the spec's property names and enumerations.

export interface SarifMessage {
  text?: string;
  markdown?: string;
}

export type SarifLevel = 'none' | 'note' | 'warning' | 'error';

/** A property bag: free-form, as the spec allows on most objects. */
export type SarifPropertyBag = { tags?: string[] } & Record<string, unknown>;

export interface SarifReportingDescriptor {
  id: string;
  name?: string;
  shortDescription?: SarifMessage;
  fullDescription?: SarifMessage;
  helpUri?: string;
  help?: SarifMessage;
  defaultConfiguration?: { level?: SarifLevel; enabled?: boolean };
  properties?: SarifPropertyBag;
}

export interface SarifArtifactLocation {
  uri?: string;
  uriBaseId?: string;
  description?: SarifMessage;
}

export interface SarifLocation {
  physicalLocation?: {
    artifactLocation?: SarifArtifactLocation;
    region?: { startLine?: number; startColumn?: number; endLine?: number; endColumn?: number };
  };
  logicalLocations?: { name?: string; fullyQualifiedName?: string; kind?: string }[];
}

export interface SarifSuppression {
  kind: 'inSource' | 'external';
  status?: 'accepted' | 'underReview' | 'rejected';
  justification?: string;
}

export interface SarifResult {
  ruleId?: string;
  ruleIndex?: number;
  level?: SarifLevel;
  kind?: 'notApplicable' | 'pass' | 'fail' | 'review' | 'open' | 'informational';
  message: SarifMessage;
  locations?: SarifLocation[];
  partialFingerprints?: Record<string, string>;
  suppressions?: SarifSuppression[];
  properties?: SarifPropertyBag;
}

export interface SarifRun {
  tool: {
    driver: {
      name: string;
      version?: string;
      semanticVersion?: string;
      informationUri?: string;
      rules?: SarifReportingDescriptor[];
    };
  };
  originalUriBaseIds?: Record<string, SarifArtifactLocation>;
  results?: SarifResult[];
  columnKind?: 'utf16CodeUnits' | 'unicodeCodePoints';
  properties?: SarifPropertyBag;
}

export interface SarifLog {
  $schema?: string;
  version: '2.1.0';
  runs: SarifRun[];
}
