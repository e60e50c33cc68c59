// RFC 6238 TOTP for the scripts that sign in the seeded TOTP user: HMAC-SHA1 over the 30 s step
// counter, 6 digits.
import { createHmac } from 'node:crypto';

function base32decode(s) {
  const bits = [...s.replace(/=+$/, '').toUpperCase()]
    .map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
  return Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
}

export function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = createHmac('sha1', base32decode(secret)).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const handedOut = new Set();
/**
 * A code the server has not seen from this process: the current step's, else the next one's
 * (the server allows one step of skew); when both were used, waits for a new step. clerk-server
 * takes each code once (its TOTP replay guard), so two sign-ins of the same user within 30 s
 * need two steps' codes.
 */
export async function unusedTotp(secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    for (const s of [step, step + 1]) {
      if (!handedOut.has(s)) {
        handedOut.add(s);
        return totp(secret, s * 30000);
      }
    }
    await new Promise((r) => setTimeout(r, (step + 1) * 30000 - Date.now() + 50));
  }
}
