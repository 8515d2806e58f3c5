#!/usr/bin/env node
// CommonJS like every file in bin/ (bin/package.json); the command itself is an ES module.
'use strict';
import('../dist/sendmail.js').then(({ sendmailMain }) => sendmailMain(process.argv.slice(2), process.argv[1]));
