// Berth's programmatic API: a server a test suite starts in one line, and an in-process ECR
// behind the AWS SDK.
export { startBerth, type Berth, type BerthOptions } from './embed/start-berth.js';
export { mockEcr, type EcrMock, type MockEcrOptions } from './embed/mock-ecr.js';
export type { Config } from './config.js';
export type { Engine } from './app.js';
