// Property tests in `npm test` run with a fixed seed, so CI is repeatable; a failure prints its
// seed and path. Set FC_SEED to explore other seeds (npm run fuzz explores without bound).
import fc from 'fast-check';

fc.configureGlobal({ seed: process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261129 });
