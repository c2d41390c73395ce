/** Go binary cataloger: modules recorded in the build info of Go ELF binaries. */
export { goBinaryCataloger } from './go-binary.js';
