// The language catalogers, in the order the registry runs them.
import type { Cataloger } from '../cataloger.js';
import { dotnetDepsCataloger } from './dotnet.js';
import { goBinaryCataloger } from './golang.js';
import { javaArchiveCataloger } from './java.js';
import { npmCataloger } from './npm.js';
import { composerCataloger } from './php.js';
import { pythonCataloger } from './python.js';
import { gemspecCataloger } from './ruby.js';
import { rustCataloger } from './rust.js';

export { dotnetDepsCataloger, goBinaryCataloger, javaArchiveCataloger, npmCataloger, composerCataloger, pythonCataloger, gemspecCataloger, rustCataloger };

export const LANGUAGE_CATALOGERS: Cataloger[] = [
  npmCataloger,
  pythonCataloger,
  goBinaryCataloger,
  javaArchiveCataloger,
  gemspecCataloger,
  rustCataloger,
  composerCataloger,
  dotnetDepsCataloger,
];
