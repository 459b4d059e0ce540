/** RFC 1918, CGNAT, loopback, link-local and IPv6 ULA / link-local ranges. */
export function isPrivateIp(ip: string): boolean {
  if (ip.includes(':')) {
    const lower = ip.toLowerCase();
    return lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80') || lower === '::1';
  }
  const dot = ip.indexOf('.');
  const a = Number(ip.slice(0, dot));
  const b = Number(ip.slice(dot + 1, ip.indexOf('.', dot + 1)));
  return isPrivateV4(a, b);
}

/** isPrivateIp of an IPv4 address by its first two octets. */
export function isPrivateV4(a: number, b: number): boolean {
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/**
 * What an address text is, checked without allocating: `private` / `public` (isPrivateIp) for a
 * dotted IPv4 address or an IPv6 address (hex digits and colons, an embedded IPv4 tail and a
 * `%zone` allowed), undefined for anything else.
 */
export function addressKind(ip: string): 'private' | 'public' | undefined {
  const n = ip.length;
  if (n === 0 || n > 64) return undefined;
  if (ip.includes(':')) {
    for (let i = 0; i < n; i++) {
      const c = ip.charCodeAt(i);
      if (c === 37 /* % */) break;
      const hex = (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46;
      if (!hex) return undefined;
    }
    return isPrivateIp(ip) ? 'private' : 'public';
  }
  // a.b.c.d, each 0–255 in 1–3 digits.
  let octet = 0;
  let digits = 0;
  let part = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return undefined;
      if (part === 0) a = octet;
      else if (part === 1) b = octet;
      part++;
      octet = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || ++digits > 3) return undefined;
      octet = octet * 10 + d;
    }
  }
  if (part !== 4) return undefined;
  return isPrivateV4(a, b) ? 'private' : 'public';
}
