// ESM: `import ... from 'berth'` loads its ES module build (dist/index.js). jest runs this file
// as an ES module because of .mjs (and node --experimental-vm-modules, see package.json).
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockEcr, startBerth } from 'berth';
import suite from './cleanup-suite.js';

const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' };

describe('ESM, against a Berth server (startBerth)', () => {
  suite.cleanupTests(async () => {
    const berth = await startBerth();
    const client = new ECRClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials });
    return { client, reset: () => berth.reset(), stop: () => berth.stop() };
  });
});

describe('ESM, in process (mockEcr)', () => {
  suite.cleanupTests(async () => {
    const ecr = await mockEcr();
    // No endpoint: without the mock this client would call AWS itself.
    const client = new ECRClient({ region: 'us-east-1', credentials });
    return { client, reset: () => ecr.reset(), stop: () => ecr.restore() };
  });
});
