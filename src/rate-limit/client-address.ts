// The key a client's address is limited under. IPv4 addresses (and IPv4-mapped IPv6 ones) count
// alone; an IPv6 address counts by its /64 network, because one subscriber usually holds a whole
// /64 and could otherwise step to a fresh address for every attempt (MAS keys the exact address).

import { isIPv4, isIPv6 } from 'node:net';

export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const groups = expandIPv6(ip.split('%')[0]!);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (part: string | undefined): string[] =>
    part === undefined || part === '' ? [] : part.split(':');
  let left = parse(head);
  let right = parse(tail);
  // A trailing dotted IPv4 part is two groups.
  const convert = (groups: string[]): string[] =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  left = convert(left);
  right = convert(right);
  const zeros =
    tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
