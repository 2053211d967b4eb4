/**
 * Request bodies must be UTF-8. Decoding with replacement (what a plain `toString('utf8')` does)
 * would store U+FFFD in place of bytes the client sent: a display name saved as something nobody
 * typed, and two different byte strings turned into one. So bodies are decoded strictly and a
 * body that is not valid UTF-8 is refused with 400, before any parsing.
 */
import { WardError } from '@ward/proto';

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8Body(body: Buffer): string {
  try {
    return STRICT.decode(body);
  } catch {
    throw new WardError('bad_request', 'the body is not valid UTF-8');
  }
}
