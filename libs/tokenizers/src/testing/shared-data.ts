// Test-only: where the read-only shared data and fixtures sit (../shared beside the repository root).
import path from 'node:path';

export const SHARED_DIR = path.resolve(import.meta.dirname, '../../../../../shared');
export const SHARED_DATA = path.join(SHARED_DIR, 'data');
