// SPDX 2.3 JSON (spdx-schema.json), written once by hand: the document, packages and relationships
// portcullis emits, with the spec's field names and enumerations.

export type SpdxPackagePurpose =
  | 'APPLICATION' | 'FRAMEWORK' | 'LIBRARY' | 'CONTAINER' | 'OPERATING-SYSTEM' | 'DEVICE' | 'FIRMWARE'
  | 'SOURCE' | 'ARCHIVE' | 'FILE' | 'INSTALL' | 'OTHER';

export type SpdxChecksumAlgorithm =
  | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512' | 'SHA3-256' | 'SHA3-384' | 'SHA3-512'
  | 'BLAKE2b-256' | 'BLAKE2b-384' | 'BLAKE2b-512' | 'BLAKE3' | 'MD2' | 'MD4' | 'MD5' | 'MD6' | 'ADLER32';

export interface SpdxChecksum {
  algorithm: SpdxChecksumAlgorithm;
  checksumValue: string;
}

export interface SpdxExternalRef {
  referenceCategory: 'SECURITY' | 'PACKAGE-MANAGER' | 'PERSISTENT-ID' | 'OTHER';
  referenceType: string;
  referenceLocator: string;
  comment?: string;
}

/** `NOASSERTION`, `NONE` or an SPDX license expression. */
export type SpdxLicenseField = string;

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed?: boolean;
  licenseConcluded?: SpdxLicenseField;
  licenseDeclared?: SpdxLicenseField;
  copyrightText?: string;
  sourceInfo?: string;
  checksums?: SpdxChecksum[];
  externalRefs?: SpdxExternalRef[];
  primaryPackagePurpose?: SpdxPackagePurpose;
  comment?: string;
}

export type SpdxRelationshipType =
  | 'DESCRIBES' | 'DESCRIBED_BY' | 'CONTAINS' | 'CONTAINED_BY' | 'DEPENDS_ON' | 'DEPENDENCY_OF'
  | 'DEV_DEPENDENCY_OF' | 'OPTIONAL_DEPENDENCY_OF' | 'PREREQUISITE_FOR' | 'HAS_PREREQUISITE' | 'OTHER';

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: SpdxRelationshipType;
  relatedSpdxElement: string;
  comment?: string;
}

export interface SpdxExtractedLicensingInfo {
  licenseId: string;
  extractedText: string;
  name?: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[]; comment?: string; licenseListVersion?: string };
  packages?: SpdxPackage[];
  relationships?: SpdxRelationship[];
  hasExtractedLicensingInfos?: SpdxExtractedLicensingInfo[];
  annotations?: SpdxAnnotation[];
}

export interface SpdxAnnotation {
  annotationDate: string;
  annotationType: 'OTHER' | 'REVIEW';
  annotator: string;
  comment: string;
}
