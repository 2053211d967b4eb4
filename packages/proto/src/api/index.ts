export * from './common.js';
export * from './auth.js';
export * from './accounts.js';
export * from './groups.js';
export * from './ssh.js';
export * from './unix.js';
export * from './oauth2.js';
export * from './routes.js';
