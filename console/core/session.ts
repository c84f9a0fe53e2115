/**
 * Who is signed in. The bearer token lives in memory, and in sessionStorage
 * only when the operator asks to stay signed in for the tab: never in a
 * cookie (the browser would send it by itself) and never in a URL.
 */
import { createApi, failureOf, isAuthFailure, type Api, type ApiFailure } from "./api.js";

const STORAGE_KEY = "tc-kms.console.token";

export interface Session {
  api: Api;
  /** The token's public id ("kmst…") when it has one, for display; never the secret. */
  label: string;
  /**
   * Whether the caller is the operator (the default account's root), the only
   * caller of OperatorService: the console then offers the Accounts page. The
   * server decides every call regardless; this only hides what would be refused.
   */
  operator: boolean;
}

let current: Session | undefined;
const listeners = new Set<() => void>();

function labelOf(token: string): string {
  const m = /^(kmst[A-Za-z0-9]{16})/.exec(token);
  return m?.[1] ? `token ${m[1]}` : "a bearer token";
}

function set(session: Session | undefined): void {
  current = session;
  for (const l of listeners) l();
}

export function session(): Session | undefined {
  return current;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Whether OperatorService answers this caller. Nothing else tells who the
 * operator is (there is no caller-identity call), so a non-operator's sign-in
 * leaves one refused ListAccounts in its audit trail.
 */
async function isOperator(api: Api): Promise<boolean> {
  try {
    await api.operator.listAccounts({});
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks the token with one call that every valid token may reach the gate
 * with: a refusal by policy (UnauthorizedOperation) still proves the token;
 * only AuthFailure.* means it is not one.
 */
export async function signIn(token: string, remember: boolean): Promise<ApiFailure | undefined> {
  const trimmed = token.trim();
  if (!trimmed) return { code: "AuthFailure.InvalidAuthorization", message: "enter a bearer token", requestId: "" };
  const api = createApi(trimmed);
  try {
    await api.kms.getServiceStatus({});
  } catch (err) {
    const f = failureOf(err);
    if (isAuthFailure(f) || f.code === "NetworkError") return f;
  }
  try {
    if (remember) sessionStorage.setItem(STORAGE_KEY, trimmed);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage may be unavailable (privacy settings): memory is enough.
  }
  set({ api, label: labelOf(trimmed), operator: await isOperator(api) });
  return undefined;
}

export function signOut(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  set(undefined);
}

/** A token kept for this tab by a previous page load, if any. */
export function restore(): void {
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return;
  }
  if (!token) return;
  const api = createApi(token);
  const restored: Session = { api, label: labelOf(token), operator: false };
  set(restored);
  void isOperator(api).then((operator) => {
    if (operator && current === restored) set({ ...restored, operator });
  });
}
