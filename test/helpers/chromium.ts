/**
 * Debian's chromium, driven by puppeteer-core (which downloads no browser). .ci/run installs
 * chromium when it is missing; SNNC_CHROMIUM names another binary.
 */
import { existsSync } from 'node:fs';

export function chromiumPath(): string {
  const candidates = [process.env.SNNC_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no chromium found (looked at ${candidates.join(', ')}): apt-get install chromium (.ci/run does), or set SNNC_CHROMIUM`);
  return found;
}
