/**
 * NumPy `.npy` arrays (format versions 1.0, 2.0, 3.0; C order) — how obp users hold
 * `action_dist` and `estimated_rewards_by_reg_model`. Reads any little-endian
 * float / int / bool dtype into a Float64Array; writes float64.
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { invalidInput } from '../common/errors';

export interface NdArray {
  shape: number[];
  /** Row-major (C order) values. */
  data: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

type Reader = (buf: Buffer, offset: number) => number;
const DTYPES: Record<string, { size: number; read: Reader }> = {
  '<f8': { size: 8, read: (b, o) => b.readDoubleLE(o) },
  '<f4': { size: 4, read: (b, o) => b.readFloatLE(o) },
  '<i8': { size: 8, read: (b, o) => Number(b.readBigInt64LE(o)) },
  '<i4': { size: 4, read: (b, o) => b.readInt32LE(o) },
  '<i2': { size: 2, read: (b, o) => b.readInt16LE(o) },
  '|i1': { size: 1, read: (b, o) => b.readInt8(o) },
  '<u8': { size: 8, read: (b, o) => Number(b.readBigUInt64LE(o)) },
  '<u4': { size: 4, read: (b, o) => b.readUInt32LE(o) },
  '<u2': { size: 2, read: (b, o) => b.readUInt16LE(o) },
  '|u1': { size: 1, read: (b, o) => b.readUInt8(o) },
  '|b1': { size: 1, read: (b, o) => b.readUInt8(o) },
};

/** Parses a `.npy` file's bytes. `name` is used in error messages. */
export function readNpy(buf: Buffer, name = 'array'): NdArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw invalidInput(`${name}: not a .npy file (bad magic bytes)`);
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else throw invalidInput(`${name}: unsupported .npy format version ${major}`);
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw invalidInput(`${name}: malformed .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw invalidInput(`${name}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)`);
  const dtype = DTYPES[descr === '<f8' || descr === '=f8' ? '<f8' : descr];
  if (!dtype) throw invalidInput(`${name}: unsupported dtype ${descr} (expected a little-endian float, int or bool)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (buf.length - dataStart < count * dtype.size) throw invalidInput(`${name}: truncated .npy data (expected ${count} values of ${descr})`);
  let data: Float64Array;
  if (descr === '<f8' && dataStart % 8 === 0 && buf.byteOffset % 8 === 0) {
    data = new Float64Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + dataStart + count * 8));
  } else {
    data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = dtype.read(buf, dataStart + i * dtype.size);
  }
  return { shape, data };
}

/** Serializes a float64 array as `.npy` version 1.0. */
export function writeNpy(array: NdArray): Buffer {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}
