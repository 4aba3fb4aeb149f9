// `policy.data.requester.banned_ips`: IP addresses and CIDR ranges (IPv4 and IPv6). A bare address
// means that one address (MAS normalises it to /32 or /128). Built on node:net's BlockList.

import { BlockList, isIP } from 'node:net';
import { PolicyDataError } from './policy-data-error.ts';

export interface IpList {
  has(ip: string | null): boolean;
}

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, how dual-stack sockets report v4) as IPv4. */
function unmapped(ip: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return match === null ? ip : match[1]!;
}

export function parseIpList(value: unknown, path: string): IpList {
  if (value === undefined || value === null) return { has: () => false };
  if (!Array.isArray(value)) throw new PolicyDataError(path, 'must be a list of IPs or CIDRs');
  const list = new BlockList();
  value.forEach((entry, index) => {
    const where = `${path}[${index}]`;
    if (typeof entry !== 'string') throw new PolicyDataError(where, 'must be a string');
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new PolicyDataError(where, `is not an IP address or CIDR: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
      return;
    }
    const bits = Number(prefix);
    if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) {
      throw new PolicyDataError(where, `has an invalid prefix length: ${entry}`);
    }
    list.addSubnet(address, bits, type);
  });
  return {
    has(ip) {
      if (ip === null) return false;
      const address = unmapped(ip);
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
