/** Ruby cataloger: installed gemspecs and Gemfile.lock files. */
export { rubyCataloger } from './ruby.js';
