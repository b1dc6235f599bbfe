// A CISA KEV catalog in the feed's own format (fields per CISA's published schema), for test DBs: the
// shipped default policy reads `kev`, so a DB without KEV data fails closed (issue 15) and a test
// DB that stands for a real one carries a catalog. The entries are made up for the tests.
export function kevCatalog(cves: string[] = ['CVE-2021-44228']): string {
  const today = new Date().toISOString();
  return JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: today.slice(0, 10),
    dateReleased: today,
    count: cves.length,
    vulnerabilities: cves.map((cveID) => ({
      cveID, vendorProject: 'Test', product: 'test', vulnerabilityName: `${cveID} (test entry)`, dateAdded: '2021-12-10',
      shortDescription: 'test entry', requiredAction: 'Apply updates', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [],
    })),
  });
}
