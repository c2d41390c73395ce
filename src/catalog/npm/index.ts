/** npm cataloger: node_modules package.json files and npm, yarn and pnpm lockfiles. */
export { npmCataloger } from './npm.js';
