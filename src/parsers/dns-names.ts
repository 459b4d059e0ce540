/** DNS helpers shared by the Calico and Hubble DNS parsers. */

/** Lower-case, without the trailing root dot (`Example.COM.` → `example.com`). */
export function normalizeQname(name: string): string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  return trimmed.toLowerCase();
}

/** IANA RCODE numbers (Hubble) → the mnemonics Calico uses, upper-cased. */
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function rcodeName(code: number | string): string {
  if (typeof code === 'number') return RCODE_NAMES[code] ?? `RCODE${code}`;
  return code.toUpperCase();
}
