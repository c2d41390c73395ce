/** .NET cataloger: package libraries of deps.json files. */
export { dotnetCataloger } from './dotnet.js';
