// What a local store answers when it cannot give the image: kept apart from the stores' clients so
// that resolving a path (an archive, a layout) loads none of them (node:http, gRPC).
import { PortcullisError } from '../../errors.js';

/** Raised when the store cannot be asked at all (no daemon, no access): a bare name tries the next store. */
export class StoreUnreachable extends PortcullisError {
  constructor(message: string, options: { subject?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'StoreUnreachable';
  }
}

/** Raised when the store answered that it has no such image. */
export class NotInStore extends PortcullisError {
  constructor(message: string, options: { subject?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotInStore';
  }
}
