import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'version',
  summary: '',
  usage: 'portcullis version',
  async run() {
    throw new PortcullisError('version: not built yet');
  },
};
export default command;
