import { readNpy, writeNpy } from './npy';

describe('npy', () => {
  it('round-trips float64 arrays with their shape', () => {
    const data = Float64Array.from({ length: 24 }, (_, i) => i / 7 - 1);
    const back = readNpy(writeNpy({ shape: [2, 4, 3], data }));
    expect(back.shape).toEqual([2, 4, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('pads the header to a multiple of 64 bytes as numpy does', () => {
    const buf = writeNpy({ shape: [3], data: new Float64Array(3) });
    expect((10 + buf.readUInt16LE(8)) % 64).toBe(0);
    expect(buf.subarray(10, 10 + buf.readUInt16LE(8)).toString('latin1')).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(3,\), \}\s*\n$/);
  });

  it('reads other dtypes (hand-written int32 file)', () => {
    const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    head.writeUInt16LE(padded.length, 8);
    const body = Buffer.alloc(16);
    [1, -2, 3, 40].forEach((v, i) => body.writeInt32LE(v, i * 4));
    const arr = readNpy(Buffer.concat([head, Buffer.from(padded, 'latin1'), body]));
    expect(arr.shape).toEqual([2, 2]);
    expect(Array.from(arr.data)).toEqual([1, -2, 3, 40]);
  });

  it('rejects what it cannot read with a clear message', () => {
    expect(() => readNpy(Buffer.from('not numpy at all'), 'x.npy')).toThrow(/x\.npy: not a \.npy file/);
    const ok = writeNpy({ shape: [2], data: new Float64Array(2) });
    expect(() => readNpy(ok.subarray(0, ok.length - 4), 'short.npy')).toThrow(/truncated/);
    const fortran = Buffer.from(ok.toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    expect(() => readNpy(fortran, 'f.npy')).toThrow(/Fortran/);
  });
});
