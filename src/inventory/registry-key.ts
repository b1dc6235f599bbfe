// The store key of the registry's wanters (OS detection and every cataloger, names and versions):
// part of what names a whole-image memo. The CLI bundle's build computes it from the same code and
// writes it in (scripts/bundle-cli.mjs), so a scan answered from the memo loads no cataloger code;
// a per-file build (and the tests) import the registry.
import { storeKey } from './layer-keys.js';

declare const __PORTCULLIS_REGISTRY_STORE_KEY__: string | undefined;

export type StoreKey = ReturnType<typeof storeKey>;

export async function registryStoreKey(): Promise<StoreKey> {
  if (typeof __PORTCULLIS_REGISTRY_STORE_KEY__ === 'string') return JSON.parse(__PORTCULLIS_REGISTRY_STORE_KEY__) as StoreKey;
  const { registryWanters } = await import('./walk-job.js');
  return storeKey(registryWanters());
}
