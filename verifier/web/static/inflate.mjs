// Raw DEFLATE (RFC 1951) with a preset dictionary, and one-member GZIP (RFC 1952): what the
// in-page verifier needs to unpack a QR link (docs/credential-format.md "QR packing") and to
// read a Bitstring Status List. Browsers' DecompressionStream takes no preset dictionary, so
// this small decoder is ours (docs/decisions/0028-verification-in-the-phone.md). It follows
// zlib's acceptance rules, which the Python verifier uses: a stream must end (final block),
// nothing may follow it, no output past the caller's limit, and a Huffman code may be
// incomplete only when it has a single code of length one. Any failure throws InflateError.

export class InflateError extends Error {}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
  67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
  5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513,
  769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
  11, 11, 12, 12, 13, 13];
const CODE_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function fail(message) {
  throw new InflateError(message);
}

// A canonical Huffman code from code lengths (as in zlib's puff.c): counts per length and
// the symbols in code order. Codes read from the stream are checked as zlib checks them.
function huffman(lengths, isCodeLengthCode, fixedCode = false) {
  const count = new Uint16Array(16);
  for (const length of lengths) count[length] += 1;
  count[0] = 0;
  let max = 0;
  for (let length = 1; length < 16; length += 1) if (count[length]) max = length;
  let left = 1;
  for (let length = 1; length < 16; length += 1) {
    left = left * 2 - count[length];
    if (left < 0) fail("over-subscribed code");
  }
  if (!fixedCode && max > 0 && left > 0 && (isCodeLengthCode || max !== 1)) fail("incomplete code");
  const offsets = new Uint16Array(16);
  for (let length = 1; length < 15; length += 1) offsets[length + 1] = offsets[length] + count[length];
  const symbols = new Uint16Array(lengths.length);
  for (let symbol = 0; symbol < lengths.length; symbol += 1) {
    if (lengths[symbol]) symbols[offsets[lengths[symbol]]++] = symbol;
  }
  return { count, symbols };
}

let fixedCodes = null;

function fixed() {
  if (fixedCodes === null) {
    const lengths = new Uint8Array(288);
    lengths.fill(8, 0, 144);
    lengths.fill(9, 144, 256);
    lengths.fill(7, 256, 280);
    lengths.fill(8, 280, 288);
    // The fixed distance code is incomplete (30 of 32 codes) by design: not checked.
    fixedCodes = [huffman(lengths, false, true), huffman(new Uint8Array(30).fill(5), false, true)];
  }
  return fixedCodes;
}

class Reader {
  constructor(data, start) {
    this.data = data;
    this.pos = start;
    this.bitBuffer = 0;
    this.bitCount = 0;
  }

  bits(need) {
    let value = this.bitBuffer;
    while (this.bitCount < need) {
      if (this.pos >= this.data.length) fail("truncated stream");
      value |= this.data[this.pos++] << this.bitCount;
      this.bitCount += 8;
    }
    this.bitBuffer = value >>> need;
    this.bitCount -= need;
    return value & ((1 << need) - 1);
  }

  decode(code) {
    let value = 0;
    let first = 0;
    let index = 0;
    for (let length = 1; length < 16; length += 1) {
      value |= this.bits(1);
      const count = code.count[length];
      if (value - count < first) return code.symbols[index + (value - first)];
      index += count;
      first = (first + count) * 2;
      value *= 2;
    }
    return fail("invalid code");
  }
}

class Output {
  constructor(prefix, limit) {
    this.start = prefix.length;
    this.limit = limit;
    this.buffer = new Uint8Array(Math.max(1024, prefix.length * 2));
    this.buffer.set(prefix);
    this.length = prefix.length;
  }

  room(extra) {
    if (this.length + extra - this.start > this.limit) fail("output exceeds the limit");
    if (this.length + extra > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
  }

  push(byte) {
    this.room(1);
    this.buffer[this.length++] = byte;
  }

  copy(distance, length) {
    if (distance > this.length) fail("distance too far back");
    this.room(length);
    for (let i = 0; i < length; i += 1) {
      this.buffer[this.length] = this.buffer[this.length - distance];
      this.length += 1;
    }
  }

  result() {
    return this.buffer.slice(this.start, this.length);
  }
}

function dynamicCodes(reader) {
  const literalCount = reader.bits(5) + 257;
  const distanceCount = reader.bits(5) + 1;
  const codeCount = reader.bits(4) + 4;
  if (literalCount > 286 || distanceCount > 30) fail("too many length or distance codes");
  const codeLengths = new Uint8Array(19);
  for (let i = 0; i < codeCount; i += 1) codeLengths[CODE_ORDER[i]] = reader.bits(3);
  const lengthCode = huffman(codeLengths, true);
  const lengths = new Uint8Array(literalCount + distanceCount);
  let index = 0;
  while (index < lengths.length) {
    const symbol = reader.decode(lengthCode);
    if (symbol < 16) {
      lengths[index++] = symbol;
      continue;
    }
    let value = 0;
    let repeat;
    if (symbol === 16) {
      if (index === 0) fail("repeat with no first length");
      value = lengths[index - 1];
      repeat = 3 + reader.bits(2);
    } else if (symbol === 17) {
      repeat = 3 + reader.bits(3);
    } else {
      repeat = 11 + reader.bits(7);
    }
    if (index + repeat > lengths.length) fail("too many lengths");
    lengths.fill(value, index, index + repeat);
    index += repeat;
  }
  if (lengths[256] === 0) fail("no end-of-block code");
  return [
    huffman(lengths.subarray(0, literalCount), false),
    huffman(lengths.subarray(literalCount), false),
  ];
}

function codes(reader, output, literal, distance) {
  for (;;) {
    const symbol = reader.decode(literal);
    if (symbol < 256) {
      output.push(symbol);
    } else if (symbol === 256) {
      return;
    } else {
      const lengthSymbol = symbol - 257;
      if (lengthSymbol >= 29) fail("invalid length code");
      const length = LENGTH_BASE[lengthSymbol] + reader.bits(LENGTH_EXTRA[lengthSymbol]);
      const distanceSymbol = reader.decode(distance);
      if (distanceSymbol >= 30) fail("invalid distance code");
      output.copy(DIST_BASE[distanceSymbol] + reader.bits(DIST_EXTRA[distanceSymbol]), length);
    }
  }
}

function stored(reader, output) {
  reader.bitBuffer = 0;
  reader.bitCount = 0;
  const { data } = reader;
  if (reader.pos + 4 > data.length) fail("truncated stream");
  const length = data[reader.pos] | (data[reader.pos + 1] << 8);
  const check = data[reader.pos + 2] | (data[reader.pos + 3] << 8);
  reader.pos += 4;
  if (length !== (~check & 0xffff)) fail("stored block length does not match");
  if (reader.pos + length > data.length) fail("truncated stream");
  output.room(length);
  output.buffer.set(data.subarray(reader.pos, reader.pos + length), output.length);
  output.length += length;
  reader.pos += length;
}

// Decode a raw DEFLATE stream starting at `start`; returns [bytes, end offset].
function inflateFrom(data, start, { dictionary = new Uint8Array(0), limit }) {
  const reader = new Reader(data, start);
  const output = new Output(dictionary.subarray(Math.max(0, dictionary.length - 32768)), limit);
  let last = 0;
  while (!last) {
    last = reader.bits(1);
    const type = reader.bits(2);
    if (type === 0) stored(reader, output);
    else if (type === 1) codes(reader, output, ...fixed());
    else if (type === 2) codes(reader, output, ...dynamicCodes(reader));
    else fail("invalid block type");
  }
  return [output.result(), reader.pos];
}

/** Inflate raw DEFLATE `data` (a Uint8Array) that must end exactly where the stream ends. */
export function inflateRaw(data, { dictionary, limit }) {
  const [bytes, end] = inflateFrom(data, 0, { dictionary, limit });
  if (end !== data.length) fail("data after the end of the stream");
  return bytes;
}

let crcTable = null;

function crc32(bytes) {
  if (crcTable === null) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < bytes.length; i += 1) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Inflate exactly one GZIP member (header flags, CRC-32 and size checked, nothing after). */
export function gunzip(data, { limit }) {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) fail("not GZIP");
  if (data[2] !== 8) fail("unknown compression method");
  const flags = data[3];
  if (flags & 0xe0) fail("unknown header flags");
  let pos = 10;
  const need = (count) => {
    if (pos + count > data.length) fail("truncated header");
  };
  if (flags & 4) {
    need(2);
    const extra = data[pos] | (data[pos + 1] << 8);
    need(2 + extra);
    pos += 2 + extra;
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      while (pos < data.length && data[pos] !== 0) pos += 1;
      need(1);
      pos += 1;
    }
  }
  if (flags & 2) {
    need(2);
    if ((crc32(data.subarray(0, pos)) & 0xffff) !== (data[pos] | (data[pos + 1] << 8))) {
      fail("header CRC does not match");
    }
    pos += 2;
  }
  const [bytes, end] = inflateFrom(data, pos, { limit });
  if (end + 8 > data.length) fail("truncated trailer");
  const word = (at) => (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
  if (word(end) !== crc32(bytes)) fail("CRC does not match");
  if (word(end + 4) !== bytes.length % 2 ** 32) fail("size does not match");
  if (end + 8 !== data.length) fail("data after the GZIP member");
  return bytes;
}
