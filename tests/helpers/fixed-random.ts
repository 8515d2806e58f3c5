// A split copy's fresh Message-ID is random. Tests that compare two runs' bytes make every random
// byte 7 for the file's tests, so both runs write the same IDs.
import { afterAll, beforeAll, vi } from 'vitest';

export function fixRandomBytes(): void {
  beforeAll(() => {
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(7);
      return array;
    });
  });
  afterAll(() => vi.restoreAllMocks());
}
