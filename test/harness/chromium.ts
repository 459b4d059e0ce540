import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { hasBinary } from './system-packages.ts';

/**
 * Headless Chromium for tests that look at a page the way a reader would: Debian's `chromium`
 * package (binary /usr/bin/chromium), installed with apt-get when missing, as
 * test/harness/system-packages.ts does for kcat, Prometheus and Alertmanager. CHROMIUM=/path
 * uses another build (e.g. a Chrome for Testing binary) instead.
 */
export function ensureChromium(log: (line: string) => void = () => {}): string {
  const configured = process.env.CHROMIUM?.trim();
  if (configured) return configured;
  if (hasBinary('chromium')) return 'chromium';
  if (!hasBinary('apt-get')) throw new Error('chromium not found on PATH and no apt-get to install it with (Debian: apt-get install chromium; or set CHROMIUM=/path/to/chrome)');
  log('installing Debian package: chromium');
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for a concurrent apt/dpkg (another test run installing its packages) instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  // Package lists that do not know chromium yet (a fresh image) are refreshed first.
  if (spawnSync('apt-cache', ['show', 'chromium'], { stdio: 'ignore' }).status !== 0) apt(['update', '-qq', ...lock], env);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...lock, 'chromium'], env);
  if (!hasBinary('chromium')) throw new Error('after apt-get install chromium, still no chromium on PATH');
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'chromium';
}

function apt(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync('apt-get', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    const hint = process.getuid?.() === 0 ? '' : ' (the integration tests install packages as root)';
    throw new Error(`apt-get ${args.join(' ')} failed${hint}: ${result.error?.message ?? `exit ${result.status}`}\n${result.stdout}${result.stderr}`.trimEnd());
  }
}

export interface ChromiumOptions {
  /** Viewport (and screenshot) size in CSS pixels. */
  width?: number;
  height?: number;
}

/**
 * Runs headless Chromium once over a local file with `mode`'s flag (`--dump-dom`, or
 * `--screenshot=FILE`), in a throw-away profile (parallel runs do not share one), and returns
 * its stdout. Offline by construction: the page is a file:// URL, and `--no-proxy-server` plus
 * a loopback-only host resolver stop any request that would leave the machine.
 */
async function runChromium(binary: string, page: string, mode: string[], options: ChromiumOptions): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'flowhound-chromium-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--hide-scrollbars', '--mute-audio', '--no-proxy-server', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
    `--user-data-dir=${profile}`, `--window-size=${options.width ?? 1200},${options.height ?? 1600}`,
    ...mode, pathToFileURL(resolve(page)).href,
  ];
  try {
    return await new Promise<string>((done, fail) => {
      // A hung browser fails the test with its output rather than at vitest's own timeout.
      execFile(binary, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 110_000, env: { ...process.env, HOME: profile } }, (error, stdout, stderr) => {
        if (error !== null) fail(new Error(`${binary} ${args.join(' ')} failed: ${error.message}\n${stderr}`.trimEnd()));
        else done(stdout);
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The page's DOM as Chromium serialises it after parsing (and after any scripts ran). */
export function dumpDom(binary: string, page: string, options: ChromiumOptions = {}): Promise<string> {
  return runChromium(binary, page, ['--dump-dom'], options);
}

/** A PNG screenshot of the page's viewport, written to `out`. */
export async function screenshot(binary: string, page: string, out: string, options: ChromiumOptions = {}): Promise<void> {
  await runChromium(binary, page, [`--screenshot=${resolve(out)}`], options);
}

export interface DecodedPng {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA) bytes per pixel, rows top to bottom, no filter bytes. */
  channels: number;
  pixels: Uint8Array;
}

/**
 * Decodes the PNGs a browser writes: 8-bit RGB or RGBA, not interlaced (IHDR, the IDAT
 * stream inflated with node:zlib, the five scanline filters undone). Throws on anything else.
 */
export function decodePng(file: string): DecodedPng {
  const png = readFileSync(file);
  if (png.length < 33 || png.toString('latin1', 1, 4) !== 'PNG') throw new Error(`${file}: not a PNG`);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  const data: Buffer[] = [];
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8]!, colour: body[9]!, interlace: body[12]! };
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (header === undefined) throw new Error(`${file}: no IHDR chunk`);
  const { width, height, depth, colour, interlace } = header;
  const channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
  if (depth !== 8 || channels === 0 || interlace !== 0) throw new Error(`${file}: only 8-bit non-interlaced RGB/RGBA PNGs are decoded here (bit depth ${depth}, colour type ${colour}, interlace ${interlace})`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error(`${file}: image data too short for ${width}×${height}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels]! : 0;
      const b = y > 0 ? pixels[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels]! : 0;
      let predicted: number;
      switch (filter) {
        case 0: predicted = 0; break;
        case 1: predicted = a; break;
        case 2: predicted = b; break;
        case 3: predicted = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`${file}: unknown scanline filter ${filter} in row ${y}`);
      }
      pixels[out + x] = (line[x]! + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Distinct RGB colours in an image and the share of pixels that are not its most common colour. */
export function colourVariety(image: DecodedPng): { colours: number; nonBackground: number } {
  const counts = new Map<number, number>();
  const { pixels, channels } = image;
  for (let i = 0; i < pixels.length; i += channels) {
    const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  const total = pixels.length / channels;
  let background = 0;
  for (const n of counts.values()) if (n > background) background = n;
  return { colours: counts.size, nonBackground: (total - background) / total };
}
