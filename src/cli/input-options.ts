// The input options shared by check, audit, send and fix: one --input list, from the format
// registry's names.

import { Option } from 'commander';
import { INPUT_FORMAT_NAMES } from '../io/formats/names.js';

export function inputFormatOption(): Option {
  return new Option('--input <format>', 'read every input as this format instead of recognising it by its content').choices([...INPUT_FORMAT_NAMES]);
}

