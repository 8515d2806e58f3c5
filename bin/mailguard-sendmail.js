#!/usr/bin/env node
import { sendmailMain } from '../dist/sendmail.js';
await sendmailMain(process.argv.slice(2));
