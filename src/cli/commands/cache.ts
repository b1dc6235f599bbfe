import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'cache',
  summary: '',
  usage: 'portcullis cache',
  async run() {
    throw new PortcullisError('cache: not built yet');
  },
};
export default command;
