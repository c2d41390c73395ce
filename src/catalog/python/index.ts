/** python cataloger: installed distributions and poetry, pipenv and pip lockfiles. */
export { pythonCataloger } from './python.js';
