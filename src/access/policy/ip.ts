/** IP addresses and CIDR blocks for the ip_* operators, on node:net's BlockList. */
import { BlockList, isIP } from "node:net";
import { invalid, show } from "./json.js";
import type { Matcher } from "./types.js";

export type IpFamily = "ipv4" | "ipv6";

export interface IpAddress {
  readonly address: string;
  readonly family: IpFamily;
}

const MAPPED_PREFIX = "::ffff:";

/**
 * The address as matched: IPv4-mapped IPv6 (what a dual-stack socket reports
 * for an IPv4 peer) becomes plain IPv4, so "127.0.0.1" in a policy matches it.
 * Null when not an address (zone ids like "fe80::1%eth0" included).
 */
export function normaliseIp(text: string): IpAddress | null {
  const version = isIP(text);
  if (version === 4) return { address: text, family: "ipv4" };
  if (version !== 6 || text.includes("%")) return null;
  if (text.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const v4 = text.slice(MAPPED_PREFIX.length);
    if (isIP(v4) === 4) return { address: v4, family: "ipv4" };
  }
  return { address: text, family: "ipv6" };
}

const PREFIX_RE = /^(?:0|[1-9][0-9]{0,2})$/;

/** One policy value ("10.0.0.0/8", "::1", ...) added to the list; throws naming `path` if malformed. */
function addEntry(list: BlockList, text: string, path: string): void {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const ip = normaliseIp(addressText);
  if (ip === null) throw invalid(path, `invalid IP address or CIDR block ${show(text)}`);
  if (slash < 0) {
    list.addAddress(ip.address, ip.family);
    return;
  }
  const prefixText = text.slice(slash + 1);
  const writtenMax = isIP(addressText) === 4 ? 32 : 128;
  const prefix = PREFIX_RE.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= writtenMax))
    throw invalid(path, `invalid CIDR prefix in ${show(text)}: must be an integer 0..${writtenMax}`);
  if (ip.family === "ipv4" && writtenMax === 128) {
    // An IPv4-mapped block: as IPv4 when it lies inside ::ffff:0:0/96, else it is a wider IPv6 block.
    if (prefix >= 96) list.addSubnet(ip.address, prefix - 96, "ipv4");
    else list.addSubnet(addressText, prefix, "ipv6");
    return;
  }
  list.addSubnet(ip.address, prefix, ip.family);
}

/** Matcher over request IP strings; built once at parse time. */
export function compileIpList(values: readonly { value: string; path: string }[]): Matcher {
  const list = new BlockList();
  for (const v of values) addEntry(list, v.value, v.path);
  return (text) => {
    const ip = normaliseIp(text);
    return ip !== null && list.check(ip.address, ip.family);
  };
}
