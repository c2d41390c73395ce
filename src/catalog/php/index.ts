/** PHP cataloger: Composer installed.json and composer.lock files. */
export { phpCataloger } from './php.js';
