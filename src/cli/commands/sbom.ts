import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'sbom',
  summary: '',
  usage: 'portcullis sbom',
  async run() {
    throw new PortcullisError('sbom: not built yet');
  },
};
export default command;
