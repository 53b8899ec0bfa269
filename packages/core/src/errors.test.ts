import { describe, expect, it } from 'vitest';
import { BackendError, SelfsupError } from './errors';

describe('SelfsupError', () => {
  it('carries a code and a message that names the fix', () => {
    const error = new BackendError({ code: 'X_BAD', problem: 'file a.bin is 3 bytes', fix: 'delete it and rerun' });
    expect(error).toBeInstanceOf(SelfsupError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BackendError');
    expect(error.code).toBe('X_BAD');
    expect(error.message).toBe('file a.bin is 3 bytes: delete it and rerun');
    expect(error.fix).toBe('delete it and rerun');
  });
});
