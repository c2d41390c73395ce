/** Reading a feed's local copy (`db build --from DIR`): the folder listing, with a one-line error naming the feed. */
import { readdir } from 'node:fs/promises';
import { ShipshapeError } from '../errors.js';

/** The names in a feed folder; ShipshapeError('not-found') naming `what` when it cannot be read. */
export async function listFeedDir(dir: string, what: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    throw new ShipshapeError('not-found', `${dir}: cannot read the ${what} folder`, { cause: err });
  }
}
