export * from './framing.js';
export * from './secret-input.js';
