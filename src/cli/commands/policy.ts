import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'policy',
  summary: '',
  usage: 'portcullis policy',
  async run() {
    throw new PortcullisError('policy: not built yet');
  },
};
export default command;
