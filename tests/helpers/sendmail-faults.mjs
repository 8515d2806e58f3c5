// Preloaded into a spawned mailguard-sendmail (NODE_OPTIONS=--import=...): failures no test can
// cause from outside, named by MAILGUARD_TEST_FAULT. It patches the very module objects the
// command's dynamic imports get (node:os's, nodemailer's ESM default export).
//   no-home           os.homedir() throws, as for a user id with no passwd entry and no HOME
//                     (a container run with an arbitrary uid; a daemon's cleared environment)
//   relay-library     nodemailer's createTransport throws a plain TypeError (a bug in the library
//                     or in how it is called) whose text holds an address
import os from 'node:os';

const fault = process.env.MAILGUARD_TEST_FAULT;
if (fault === 'no-home') {
  os.homedir = () => {
    throw Object.assign(new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'), { code: 'ERR_SYSTEM_ERROR' });
  };
} else if (fault === 'relay-library') {
  const { default: nodemailer } = await import('nodemailer');
  nodemailer.createTransport = () => {
    throw new TypeError('cannot read properties of undefined (reading envelope of jane.doe@customer1.test)');
  };
} else if (fault !== undefined) {
  throw new Error(`sendmail-faults.mjs: unknown MAILGUARD_TEST_FAULT ${fault}`);
}
