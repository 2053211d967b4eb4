export * from './schema.js';
export * from './codec.js';
export { renderCHeader } from './c-header.js';
