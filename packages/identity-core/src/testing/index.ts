export { createTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { createManualClock } from '../clock.js';
export type { ManualClock } from '../clock.js';
