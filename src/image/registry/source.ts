// The registry ImageSource. The client (undici and all) is loaded only when an image is opened,
// so scans of local archives never pay for it.
import type { Image, ImageSource } from '../../model/image.js';
import type { Platform } from '../platform.js';
import type { RegistryOptions } from './client.js';
import { formatReference, type RegistryReference } from './reference.js';

export class RegistrySource implements ImageSource {
  readonly description: string;
  constructor(
    private readonly source: string,
    readonly ref: RegistryReference,
    private readonly platform: Platform | undefined,
    private readonly opts: RegistryOptions,
  ) {
    this.description = `registry image ${formatReference(ref)}`;
  }

  async open(): Promise<Image> {
    const { openRegistryImage } = await import('./open.js');
    return openRegistryImage(this.source, this.ref, this.platform, this.opts);
  }
}
