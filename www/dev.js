// Development helpers for the "dev: …" buttons only. A real app never has these: the email
// outbox is clerk-server's --dev endpoint, and the TOTP secret is the seeded demo user's.

/** The latest code clerk-server "sent" to `email` (GET /__dev/emails, development mode only). */
export async function devEmailCode(email) {
  const res = await fetch(`/__dev/emails?to=${encodeURIComponent(email)}`);
  const { latest_code: code } = await res.json();
  if (!code) throw new Error(`No email code for ${email} in the dev outbox yet`);
  return code;
}

/** The seeded alice's current TOTP code (RFC 6238: HMAC-SHA1, 30 s step, 6 digits). */
export async function devTotpCode(secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP') {
  const bits = [...secret.replace(/=+$/, '')]
    .map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Uint8Array.from(bits.match(/.{8}/g), (b) => parseInt(b, 2));
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(Math.floor(Date.now() / 30000)));
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const h = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, counter.buffer));
  const o = h[19] & 15;
  const n = (((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1e6;
  return String(n).padStart(6, '0');
}
