/** Java archive cataloger: jar, war, ear, jpi and hpi files and the archives nested in them. */
export { javaCataloger } from './java.js';
