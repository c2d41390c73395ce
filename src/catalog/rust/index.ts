/** Rust cataloger: Cargo.lock files and cargo-auditable data in binaries. */
export { rustCataloger } from './rust.js';
