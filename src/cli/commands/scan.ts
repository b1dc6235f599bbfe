import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';

// PLACEHOLDER: replaced by the issue that builds this command.
const command: Command = {
  name: 'scan',
  summary: '',
  usage: 'portcullis scan',
  async run() {
    throw new PortcullisError('scan: not built yet');
  },
};
export default command;
