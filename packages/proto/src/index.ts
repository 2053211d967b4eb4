export * from './errors.js';
export * from './names.js';
export * from './posix.js';
export * from './oauth2.js';
export * from './api/index.js';
export * from './socket/index.js';
export * from './map/index.js';
export const WARD_VERSION = '0.1.0';
