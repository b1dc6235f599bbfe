// NuGet: .deps.json files of .NET applications.
import { NugetComparator } from '../version/nuget.js';
import { plainPurl } from './purl.js';
import { defineEcosystem } from './types.js';

export const nuget = defineEcosystem({
  osv: 'NuGet',
  purl: { type: 'nuget', ...plainPurl('nuget') },
  comparator: new NugetComparator(),
  versionScheme: 'NuGet.Versioning (SemVer 2.0, up to 4 numbers, case-insensitive)',
  lookup: 'name',
  spdxPurpose: 'LIBRARY',
  catalogers: ['dotnet-deps'],
  example: { name: 'Newtonsoft.Json', version: '12.0.3' },
});
