export * from './framing.js';
