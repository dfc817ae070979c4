// Writes a brotli (.br) and a gzip (.gz) copy beside every compressible file of the build, so the
// server sends them as they are (internal/httpapi/spa.go) instead of compressing per request.
// Deterministic: the same input gives the same bytes (fixed levels, gzip's header carries no
// time or name), so the committed web/dist still matches a fresh build.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt', '.webmanifest', '.map']);
const MIN_BYTES = 512; // smaller files fit in one packet either way

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

export function precompress(dir) {
  const written = [];
  for (const file of files(dir)) {
    if (!COMPRESSIBLE.has(path.extname(file))) continue;
    const data = readFileSync(file);
    if (data.length < MIN_BYTES) continue;
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gz = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
    // A variant that saves under a tenth is not worth the decoding.
    for (const [ext, out] of [['.br', br], ['.gz', gz]]) {
      if (out.length < data.length * 0.9) {
        writeFileSync(file + ext, out);
        written.push({ file: path.relative(dir, file) + ext, from: data.length, to: out.length });
      }
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.resolve(process.argv[2] ?? 'dist');
  const br = precompress(dir).filter((w) => w.file.endsWith('.br'));
  const sum = (k) => br.reduce((n, w) => n + w[k], 0);
  console.log(`precompressed ${br.length} files (.br and .gz): ${sum('from')} bytes → ${sum('to')} as brotli`);
}
