/**
 * Addresses of a secret's pages. Secret names may be any of letters, digits,
 * "-" and "_", so "new" and "import" are valid names: a secret's pages live
 * under "secrets/s/<name>" so no name can shadow the create and import pages.
 */
import { href } from "../../core/router.js";

export function secretHref(name: string, tab?: string): string {
  return tab ? href("secrets", "s", name, tab) : href("secrets", "s", name);
}
