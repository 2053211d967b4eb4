export * from './format.js';
export { renderMapCHeader } from './c-header.js';
