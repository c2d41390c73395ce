/** Types of the two undici modules the registry transport loads alone (undici's index also loads fetch, websocket, cookies, mocks: ~50 ms of start-up). */
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Dispatcher.prototype.request as undici's index installs it: `this` is the dispatcher. */
  export default function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}
