// CommonJS: require('berth') loads its CommonJS build (dist/cjs/index.cjs).
const { ECRClient } = require('@aws-sdk/client-ecr');
const { mockEcr, startBerth } = require('berth');
const { cleanupTests } = require('./cleanup-suite.js');

const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' };

describe('CommonJS, against a Berth server (startBerth)', () => {
  cleanupTests(async () => {
    const berth = await startBerth();
    const client = new ECRClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials });
    return { client, reset: () => berth.reset(), stop: () => berth.stop() };
  });
});

describe('CommonJS, in process (mockEcr)', () => {
  cleanupTests(async () => {
    const ecr = await mockEcr();
    // No endpoint: without the mock this client would call AWS itself.
    const client = new ECRClient({ region: 'us-east-1', credentials });
    return { client, reset: () => ecr.reset(), stop: () => ecr.restore() };
  });
});
