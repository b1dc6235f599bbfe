import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'db',
  summary: '',
  usage: 'portcullis db',
  async run() {
    throw new PortcullisError('db: not built yet');
  },
};
export default command;
