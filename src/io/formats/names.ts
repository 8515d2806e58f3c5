// The names of the input formats, apart from their readers so a command's definition (and its
// --help) can list them without loading any reader. The registry (index.ts) holds one format per
// name; a test keeps the two in step.

export const INPUT_FORMAT_NAMES = ['eml', 'mbox', 'smtp', 'json', 'msg', 'emlx'] as const;

export type InputFormat = (typeof INPUT_FORMAT_NAMES)[number];
