/** CAM-style policy engine: parsing/validation, evaluation, resource names. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KmsError } from "../../src/errors.js";
import {
  buildAccountResource,
  buildKeyResource,
  encryptionContextKey,
  evaluate,
  IP_KEY,
  mayAllowAction,
  normaliseIp,
  parsePolicy,
  RESOURCE_TAG_KEY,
  type AccessRequest,
  type CompiledPolicy,
} from "../../src/access/policy/index.js";
import { compileGlob } from "../../src/access/policy/glob.js";

const OWNER = "100000000001";
const OTHER = "100000000002";
const REGION = "ap-guangzhou";
const APP_KEY = encryptionContextKey("app");

const keyRes = (keyId = "k1", creator = OWNER, owner = OWNER, region = REGION): string =>
  buildKeyResource(region, owner, creator, keyId);

const doc = (...statement: readonly object[]): string => JSON.stringify({ version: "2.0", statement });
const policy = (...statement: readonly object[]): CompiledPolicy => parsePolicy(doc(...statement));

const req = (action: string, resource: string, context: Record<string, string[]> = {}): AccessRequest => ({
  action,
  resource,
  context: new Map(Object.entries(context)),
});

const ALLOW_ALL = { effect: "allow", action: "*", resource: "*" };
const DENY_ALL = { effect: "deny", action: "*", resource: "*" };

/** Decision for one statement set and one request. */
const decide = (statements: readonly object[], r: AccessRequest) => evaluate([policy(...statements)], r);

const EXAMPLE = `{
  "version": "2.0",
  "statement": [
    {
      "effect": "allow",
      "action": ["kms:Encrypt", "kms:Decrypt"],
      "resource": ["qcs::kms:ap-guangzhou:uin/100000000001:key/creatorUin/100000000001/*"],
      "condition": {
        "string_equal": { "kms:encryption_context/app": ["billing"] },
        "ip_equal": { "qcs:ip": ["10.0.0.0/8", "127.0.0.1"] }
      }
    },
    { "effect": "deny", "action": "kms:ScheduleKeyDeletion", "resource": "*" }
  ]
}`;

describe("resource names", () => {
  it("builds key and account resources", () => {
    expect(buildKeyResource("ap-guangzhou", "1", "2", "kid")).toBe("qcs::kms:ap-guangzhou:uin/1:key/creatorUin/2/kid");
    expect(buildAccountResource("ap-beijing", "1")).toBe("qcs::kms:ap-beijing:uin/1:*");
  });
});

describe("the documented example", () => {
  const p = [parsePolicy(EXAMPLE)];
  const ctx = (ip: string, app?: string) => ({ [IP_KEY]: [ip], ...(app === undefined ? {} : { [APP_KEY]: [app] }) });

  it("allows Encrypt/Decrypt with the right context from an allowed address", () => {
    expect(evaluate(p, req("kms:Encrypt", keyRes(), ctx("10.1.2.3", "billing")))).toBe("allow");
    expect(evaluate(p, req("kms:Decrypt", keyRes("other-key"), ctx("127.0.0.1", "billing")))).toBe("allow");
  });

  it("does not allow when a condition fails or is absent", () => {
    expect(evaluate(p, req("kms:Encrypt", keyRes(), ctx("192.168.1.1", "billing")))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes(), ctx("10.1.2.3", "payroll")))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes(), ctx("10.1.2.3")))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes(), { [APP_KEY]: ["billing"] }))).toBe("implicit-deny");
  });

  it("does not allow other actions, creators, accounts or regions", () => {
    const c = ctx("10.1.2.3", "billing");
    expect(evaluate(p, req("kms:GenerateDataKey", keyRes(), c))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes("k1", OTHER), c))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes("k1", OWNER, OTHER), c))).toBe("implicit-deny");
    expect(evaluate(p, req("kms:Encrypt", keyRes("k1", OWNER, OWNER, "ap-beijing"), c))).toBe("implicit-deny");
  });

  it("denies ScheduleKeyDeletion everywhere", () => {
    expect(evaluate(p, req("kms:ScheduleKeyDeletion", keyRes(), ctx("10.1.2.3", "billing")))).toBe("deny");
    expect(evaluate(p, req("kms:ScheduleKeyDeletion", buildAccountResource(REGION, OTHER)))).toBe("deny");
  });
});

describe("deny, allow and implicit deny", () => {
  const denyEncrypt = { effect: "deny", action: "kms:Encrypt", resource: "*" };

  it("explicit deny wins across policies, in either order", () => {
    const r = req("kms:Encrypt", keyRes());
    expect(evaluate([policy(ALLOW_ALL), policy(denyEncrypt)], r)).toBe("deny");
    expect(evaluate([policy(denyEncrypt), policy(ALLOW_ALL)], r)).toBe("deny");
    expect(evaluate([policy(ALLOW_ALL), policy(denyEncrypt)], req("kms:Decrypt", keyRes()))).toBe("allow");
  });

  it("explicit deny wins within one policy, in either order", () => {
    const r = req("kms:Encrypt", keyRes());
    expect(decide([ALLOW_ALL, denyEncrypt], r)).toBe("deny");
    expect(decide([denyEncrypt, ALLOW_ALL], r)).toBe("deny");
  });

  it("a deny whose condition fails does not apply", () => {
    const deny = { ...denyEncrypt, condition: { string_equal: { [APP_KEY]: "secret" } } };
    expect(decide([ALLOW_ALL, deny], req("kms:Encrypt", keyRes(), { [APP_KEY]: ["public"] }))).toBe("allow");
    expect(decide([ALLOW_ALL, deny], req("kms:Encrypt", keyRes(), { [APP_KEY]: ["secret"] }))).toBe("deny");
  });

  it("is an implicit deny with no policies", () => {
    expect(evaluate([], req("kms:Encrypt", keyRes()))).toBe("implicit-deny");
  });

  it("is an implicit deny when no statement applies", () => {
    const p = policy(
      { effect: "allow", action: "kms:Decrypt", resource: "*" },
      { effect: "allow", action: "kms:Encrypt", resource: `qcs::kms:${REGION}:uin/${OTHER}:*` },
      { effect: "deny", action: "kms:Sign", resource: "*" },
    );
    expect(evaluate([p], req("kms:Encrypt", keyRes()))).toBe("implicit-deny");
  });
});

describe("action matching", () => {
  const allowed = (action: string | string[], requested: string) =>
    decide([{ effect: "allow", action, resource: "*" }], req(requested, keyRes())) === "allow";

  it("matches wildcards", () => {
    expect(allowed("*", "kms:Encrypt")).toBe(true);
    expect(allowed("*", "kmsadmin:CreatePolicy")).toBe(true);
    expect(allowed("kms:*", "kms:Encrypt")).toBe(true);
    expect(allowed("kms:*", "kmsadmin:CreatePolicy")).toBe(false);
    expect(allowed("kms:Get*", "kms:GetKeyAttributes")).toBe(true);
    expect(allowed("kms:Get*", "kms:Get")).toBe(true);
    expect(allowed("kms:Get*", "kms:ListKeys")).toBe(false);
    expect(allowed("kms:*Key*", "kms:ScheduleKeyDeletion")).toBe(true);
    expect(allowed("kms:Encrypt", "kms:EncryptMore")).toBe(false);
    expect(allowed(["kms:Decrypt", "kms:Encrypt"], "kms:Encrypt")).toBe(true);
  });

  it("is case-insensitive", () => {
    expect(allowed("kms:encrypt", "kms:Encrypt")).toBe(true);
    expect(allowed("kms:Encrypt", "KMS:ENCRYPT")).toBe(true);
    expect(allowed("kms:get*", "kms:GetPublicKey")).toBe(true);
  });
});

describe("resource matching", () => {
  const allowed = (resource: string | string[], requested: string) =>
    decide([{ effect: "allow", action: "kms:*", resource }], req("kms:Encrypt", requested)) === "allow";
  const account = `qcs::kms:${REGION}:uin/${OWNER}`;

  it("matches every key of an account with key/*", () => {
    expect(allowed(`${account}:key/*`, keyRes())).toBe(true);
    expect(allowed(`${account}:key/*`, keyRes("k9", OTHER))).toBe(true);
    expect(allowed(`${account}:key/*`, keyRes("k1", OWNER, OTHER))).toBe(false);
    expect(allowed(`${account}:key/*`, buildAccountResource(REGION, OWNER))).toBe(false);
  });

  it("matches one key id of any creator with creatorUin/*/<keyId>", () => {
    expect(allowed(`${account}:key/creatorUin/*/k1`, keyRes("k1", OTHER))).toBe(true);
    expect(allowed(`${account}:key/creatorUin/*/k1`, keyRes("k2", OTHER))).toBe(false);
  });

  it("matches an exact name only exactly; a key id (a lower-case UUID) whatever its case in the policy", () => {
    expect(allowed(keyRes("k1"), keyRes("k1"))).toBe(true);
    expect(allowed(keyRes("k1"), keyRes("k10"))).toBe(false);
    expect(allowed(keyRes("K1"), keyRes("k1"))).toBe(true);
    expect(allowed(`${account}:KEY/*`, keyRes())).toBe(false);
  });

  it("denies a key named in upper case in a deny (finding 9: it used to fail open)", () => {
    const uuid = "3f2c9b1e-1111-4222-8333-944455556666";
    const p = policy(ALLOW_ALL, { effect: "deny", action: "kms:Decrypt", resource: keyRes(uuid.toUpperCase()) });
    expect(evaluate([p], req("kms:Decrypt", keyRes(uuid)))).toBe("deny");
    expect(evaluate([p], req("kms:Decrypt", keyRes("another")))).toBe("allow");
  });

  it("treats an empty region as any region", () => {
    const anyRegion = `qcs::kms::uin/${OWNER}:key/*`;
    expect(allowed(anyRegion, keyRes("k1", OWNER, OWNER, "ap-beijing"))).toBe(true);
    expect(allowed(anyRegion, keyRes("k1", OWNER, OWNER, "ap-guangzhou"))).toBe(true);
    expect(allowed(anyRegion, keyRes("k1", OWNER, OTHER, "ap-beijing"))).toBe(false);
    expect(allowed(anyRegion, `qcs::cvm:ap-beijing:uin/${OWNER}:key/x`)).toBe(false);
    // The region is one field: it cannot swallow the account.
    expect(allowed(anyRegion, `qcs::kms:ap-beijing:x:uin/${OWNER}:key/k1`)).toBe(false);
    expect(allowed(`qcs::kms::uin/${OWNER}:*`, buildAccountResource("ap-shanghai", OWNER))).toBe(true);
    expect(allowed("qcs::kms:", "qcs::kms:ap-beijing")).toBe(true);
    expect(allowed("qcs::kms:", "qcs::kms:ap-beijing:uin/1")).toBe(false);
  });

  it("lets * match any run of characters, including / and :", () => {
    expect(allowed("*", keyRes("k1", OTHER, OTHER, "eu-frankfurt"))).toBe(true);
    expect(allowed("qcs::kms:*", keyRes("k1", OTHER, OTHER, "eu-frankfurt"))).toBe(true);
    expect(allowed(`qcs::kms:*:uin/${OWNER}:*`, keyRes("k1", OTHER, OWNER, "ap-beijing"))).toBe(true);
    expect(allowed(`${account}:*`, buildAccountResource(REGION, OWNER))).toBe(true);
    expect(allowed(`${account}:*`, keyRes())).toBe(true);
  });

  it("does not match another account's uin", () => {
    expect(allowed(`${account}:*`, keyRes("k1", OWNER, OTHER))).toBe(false);
    expect(allowed(`${account}:*`, buildAccountResource(REGION, OTHER))).toBe(false);
    // uin/1 must not match uin/10...: the colon after the uin is literal.
    expect(allowed(`qcs::kms:${REGION}:uin/1:*`, keyRes("k1", OWNER, "10"))).toBe(false);
  });

  it("matches any pattern of a list", () => {
    expect(allowed([keyRes("a"), keyRes("b")], keyRes("b"))).toBe(true);
    expect(allowed([keyRes("a"), keyRes("b")], keyRes("c"))).toBe(false);
  });
});

describe("conditions", () => {
  const withCondition = (condition: object) => [policy({ effect: "allow", action: "kms:*", resource: "*", condition })];
  const check = (condition: object, context: Record<string, string[]>) =>
    evaluate(withCondition(condition), req("kms:Encrypt", keyRes(), context)) === "allow";

  it("string_equal: any request value equals any policy value; absent key does not hold", () => {
    const c = { string_equal: { [APP_KEY]: ["billing", "payroll"] } };
    expect(check(c, { [APP_KEY]: ["payroll"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["Billing"] })).toBe(false);
    expect(check(c, { [APP_KEY]: ["x", "billing"] })).toBe(true);
    expect(check(c, {})).toBe(false);
    expect(check(c, { [APP_KEY]: [] })).toBe(false);
  });

  it("string_not_equal: holds when no request value equals; absent key holds", () => {
    const c = { string_not_equal: { [APP_KEY]: "billing" } };
    expect(check(c, { [APP_KEY]: ["payroll"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["billing"] })).toBe(false);
    expect(check(c, { [APP_KEY]: ["payroll", "billing"] })).toBe(false);
    expect(check(c, {})).toBe(true);
  });

  it("string_like: * and ? wildcards; absent key does not hold", () => {
    const c = { string_like: { [APP_KEY]: ["bill*", "pay?oll"] } };
    expect(check(c, { [APP_KEY]: ["billing"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["bill"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["payroll"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["payrroll"] })).toBe(false);
    expect(check(c, { [APP_KEY]: ["rebilling"] })).toBe(false);
    expect(check(c, {})).toBe(false);
  });

  it("string_not_like: holds when no request value matches; absent key holds", () => {
    const c = { string_not_like: { [APP_KEY]: "test-*" } };
    expect(check(c, { [APP_KEY]: ["prod-1"] })).toBe(true);
    expect(check(c, { [APP_KEY]: ["test-1"] })).toBe(false);
    expect(check(c, { [APP_KEY]: ["prod-1", "test-1"] })).toBe(false);
    expect(check(c, {})).toBe(true);
  });

  it("resource tags: multi-valued request keys, key&value strings", () => {
    const tags = { [RESOURCE_TAG_KEY]: ["env&prod", "team&pay"] };
    expect(check({ string_equal: { [RESOURCE_TAG_KEY]: "team&pay" } }, tags)).toBe(true);
    expect(check({ string_equal: { [RESOURCE_TAG_KEY]: "team&ops" } }, tags)).toBe(false);
    expect(check({ string_equal: { [RESOURCE_TAG_KEY]: "pay&team" } }, tags)).toBe(false);
    expect(check({ string_like: { [RESOURCE_TAG_KEY]: "env&*" } }, tags)).toBe(true);
    expect(check({ string_not_equal: { [RESOURCE_TAG_KEY]: "env&prod" } }, tags)).toBe(false);
    expect(check({ string_not_equal: { [RESOURCE_TAG_KEY]: "env&dev" } }, tags)).toBe(true);
    expect(check({ string_not_like: { [RESOURCE_TAG_KEY]: "env&*" } }, tags)).toBe(false);
    expect(check({ string_equal: { [RESOURCE_TAG_KEY]: "env&prod" } }, {})).toBe(false);
  });

  it("ip_equal: addresses and CIDR blocks; absent key does not hold", () => {
    const c = { ip_equal: { [IP_KEY]: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "fe80::1"] } };
    expect(check(c, { [IP_KEY]: ["10.255.0.1"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["11.0.0.1"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["192.168.1.7"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["192.168.1.8"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["2001:db8:1::5"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["2001:DB8::1"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["2001:db9::1"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["fe80:0:0:0:0:0:0:1"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["not-an-ip"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["11.0.0.1", "10.0.0.1"] })).toBe(true);
    expect(check(c, {})).toBe(false);
  });

  it("ip_not_equal: holds when no request address is in the list; absent key holds", () => {
    const c = { ip_not_equal: { [IP_KEY]: ["10.0.0.0/8", "::1"] } };
    expect(check(c, { [IP_KEY]: ["11.0.0.1"] })).toBe(true);
    expect(check(c, { [IP_KEY]: ["10.0.0.1"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["::1"] })).toBe(false);
    expect(check(c, { [IP_KEY]: ["::ffff:10.0.0.1"] })).toBe(false);
    expect(check(c, {})).toBe(true);
  });

  it("normalises IPv4-mapped IPv6, in requests and in policies", () => {
    const v4 = { ip_equal: { [IP_KEY]: ["127.0.0.1", "10.0.0.0/8"] } };
    expect(check(v4, { [IP_KEY]: ["::ffff:127.0.0.1"] })).toBe(true);
    expect(check(v4, { [IP_KEY]: ["::FFFF:10.20.30.40"] })).toBe(true);
    expect(check(v4, { [IP_KEY]: ["::ffff:11.0.0.1"] })).toBe(false);
    const mapped = { ip_equal: { [IP_KEY]: ["::ffff:192.168.0.0/112", "::ffff:127.0.0.1"] } };
    expect(check(mapped, { [IP_KEY]: ["192.168.3.4"] })).toBe(true);
    expect(check(mapped, { [IP_KEY]: ["192.169.0.1"] })).toBe(false);
    expect(check(mapped, { [IP_KEY]: ["127.0.0.1"] })).toBe(true);
    expect(normaliseIp("::ffff:127.0.0.1")).toEqual({ address: "127.0.0.1", family: "ipv4" });
    expect(normaliseIp("::1")).toEqual({ address: "::1", family: "ipv6" });
    expect(normaliseIp("fe80::1%eth0")).toBeNull();
    expect(normaliseIp("1.2.3")).toBeNull();
  });

  it("ANDs keys within a block and blocks, ORs a key's values", () => {
    const c = {
      string_equal: { [APP_KEY]: ["billing", "payroll"], [encryptionContextKey("env")]: "prod" },
      ip_equal: { [IP_KEY]: "10.0.0.0/8" },
    };
    const full = { [APP_KEY]: ["payroll"], [encryptionContextKey("env")]: ["prod"], [IP_KEY]: ["10.0.0.1"] };
    expect(check(c, full)).toBe(true);
    expect(check(c, { ...full, [encryptionContextKey("env")]: ["dev"] })).toBe(false);
    expect(check(c, { ...full, [IP_KEY]: ["11.0.0.1"] })).toBe(false);
    const { [APP_KEY]: _omitted, ...withoutApp } = full;
    expect(check(c, withoutApp)).toBe(false);
  });

  it("accepts an empty condition object as no conditions", () => {
    expect(check({}, {})).toBe(true);
  });
});

describe("mayAllowAction", () => {
  it("is true when an allow statement names the action, ignoring resource and conditions", () => {
    const p = policy({
      effect: "allow",
      action: ["kms:Get*", "kms:Encrypt"],
      resource: `qcs::kms:${REGION}:uin/${OTHER}:key/x`,
      condition: { ip_equal: { [IP_KEY]: "10.0.0.1" } },
    });
    expect(mayAllowAction([p], "kms:GetKeyAttributes")).toBe(true);
    expect(mayAllowAction([p], "KMS:encrypt")).toBe(true);
    expect(mayAllowAction([p], "kms:Decrypt")).toBe(false);
  });

  it("ignores deny statements and is false with no policies", () => {
    expect(mayAllowAction([policy(DENY_ALL)], "kms:Encrypt")).toBe(false);
    expect(mayAllowAction([policy(DENY_ALL), policy(ALLOW_ALL)], "kms:Encrypt")).toBe(true);
    expect(mayAllowAction([], "kms:Encrypt")).toBe(false);
  });
});

describe("parsePolicy accepts", () => {
  it("any case of effect, a single string or a list, and every operator", () => {
    const p = policy(
      { effect: "Allow", action: "kms:Encrypt", resource: "*" },
      { effect: "DENY", action: ["kms:Sign"], resource: ["qcs::kms::uin/1:*"] },
      {
        effect: "allow",
        action: "kmsadmin:*",
        resource: "*",
        condition: {
          string_equal: { [APP_KEY]: "a" },
          string_not_equal: { [APP_KEY]: ["b"] },
          string_like: { [RESOURCE_TAG_KEY]: "env&*" },
          string_not_like: { [IP_KEY]: "10.*" },
          ip_equal: { [IP_KEY]: ["0.0.0.0/0", "::/0"] },
          ip_not_equal: { [IP_KEY]: "::ffff:10.0.0.0/104" },
        },
      },
    );
    expect(p.statements.map((s) => s.effect)).toEqual(["allow", "deny", "allow"]);
    expect(p.statements[2]?.conditions).toHaveLength(6);
  });

  it("a document of exactly the size and statement limits", () => {
    const statements = Array.from({ length: 100 }, () => DENY_ALL);
    expect(parsePolicy(doc(...statements)).statements).toHaveLength(100);
    const base = doc(ALLOW_ALL);
    expect(() => parsePolicy(base + " ".repeat(6144 - base.length))).not.toThrow();
  });
});

/** The KmsError parsePolicy raised for text (fails the test if none). */
function parseError(text: string): KmsError {
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
  throw new Error(`parsePolicy accepted ${text}`);
}

const withStatement = (s: object): string => doc(s);
const withCondition = (condition: unknown): string => doc({ ...ALLOW_ALL, condition });

/** [what is wrong, document, expected message prefix (the offending path and the problem)] */
const BAD: readonly (readonly [string, string, string])[] = [
  ["too long", doc(ALLOW_ALL) + " ".repeat(6144), "policy: must be at most 6144 characters"],
  ["not JSON", "{", "policy: not valid JSON"],
  ["a JSON array", "[]", "policy: must be a JSON object, got an array"],
  ["JSON null", "null", "policy: must be a JSON object, got null"],
  ["unknown top-level field", JSON.stringify({ version: "2.0", statement: [ALLOW_ALL], Principal: {} }), 'policy: unknown field "Principal"'],
  ["__proto__ field", `{"version":"2.0","statement":[${JSON.stringify(ALLOW_ALL)}],"__proto__":{}}`, 'policy: unknown field "__proto__"'],
  ["missing version", JSON.stringify({ statement: [ALLOW_ALL] }), 'policy: missing required field "version"'],
  ["wrong version", JSON.stringify({ version: "1.0", statement: [ALLOW_ALL] }), 'version: must be "2.0", got "1.0"'],
  ["numeric version", '{"version":2.0,"statement":[]}', 'version: must be "2.0", got 2'],
  ["missing statement", JSON.stringify({ version: "2.0" }), 'policy: missing required field "statement"'],
  ["statement not an array", JSON.stringify({ version: "2.0", statement: ALLOW_ALL }), "statement: must be an array, got an object"],
  ["empty statement", doc(), "statement: must not be empty"],
  ["101 statements", doc(...Array.from({ length: 101 }, () => DENY_ALL)), "statement: must have at most 100 statements, got 101"],
  ["statement not an object", JSON.stringify({ version: "2.0", statement: [ALLOW_ALL, "allow"] }), "statement[1]: must be an object, got a string"],
  ["unknown statement field", doc(ALLOW_ALL, { ...ALLOW_ALL, principal: "x" }), 'statement[1]: unknown field "principal"'],
  ["capitalised statement field", withStatement({ Effect: "allow", action: "*", resource: "*" }), 'statement[0]: unknown field "Effect"'],
  ["missing effect", withStatement({ action: "*", resource: "*" }), 'statement[0]: missing required field "effect"'],
  ["bad effect", withStatement({ ...ALLOW_ALL, effect: "permit" }), 'statement[0].effect: must be "allow" or "deny", got "permit"'],
  ["non-string effect", withStatement({ ...ALLOW_ALL, effect: true }), 'statement[0].effect: must be "allow" or "deny", got true'],
  ["missing action", withStatement({ effect: "allow", resource: "*" }), 'statement[0]: missing required field "action"'],
  ["numeric action", withStatement({ ...ALLOW_ALL, action: 1 }), "statement[0].action: must be a string or an array of strings, got a number"],
  ["empty action list", withStatement({ ...ALLOW_ALL, action: [] }), "statement[0].action: must not be an empty array"],
  ["non-string action element", withStatement({ ...ALLOW_ALL, action: ["kms:Encrypt", null] }), "statement[0].action[1]: must be a string, got null"],
  ["action without service", withStatement({ ...ALLOW_ALL, action: "Encrypt" }), 'statement[0].action: invalid action "Encrypt"'],
  ["upper-case service", withStatement({ ...ALLOW_ALL, action: ["kms:Decrypt", "KMS:Encrypt"] }), 'statement[0].action[1]: invalid action "KMS:Encrypt"'],
  ["punctuation in action", withStatement({ ...ALLOW_ALL, action: "kms:Encrypt-Now" }), 'statement[0].action: invalid action "kms:Encrypt-Now"'],
  ["empty action name", withStatement({ ...ALLOW_ALL, action: "kms:" }), 'statement[0].action: invalid action "kms:"'],
  ["missing resource", withStatement({ effect: "allow", action: "*" }), 'statement[0]: missing required field "resource"'],
  ["empty resource list", withStatement({ ...ALLOW_ALL, resource: [] }), "statement[0].resource: must not be an empty array"],
  ["foreign resource", withStatement({ ...ALLOW_ALL, resource: ["*", "arn:aws:kms:*"] }), 'statement[0].resource[1]: invalid resource "arn:aws:kms:*"'],
  ["condition not an object", withCondition(["string_equal"]), "statement[0].condition: must be an object of operator → condition keys, got an array"],
  ["unknown operator", doc(ALLOW_ALL, { ...ALLOW_ALL, condition: { string_eqaul: { [APP_KEY]: "a" } } }), 'statement[1].condition: unknown operator "string_eqaul"'],
  ["operator block not an object", withCondition({ string_equal: "a" }), "statement[0].condition.string_equal: must be an object of condition key → values, got a string"],
  ["empty operator block", withCondition({ ip_equal: {} }), "statement[0].condition.ip_equal: must name at least one condition key"],
  ["unknown condition key", withCondition({ string_equal: { "kms:foo": "a" } }), 'statement[0].condition.string_equal: unknown condition key "kms:foo"'],
  ["empty context name", withCondition({ string_like: { "kms:encryption_context/": "a" } }), 'statement[0].condition.string_like: unknown condition key "kms:encryption_context/"'],
  ["ip operator on a string key", withCondition({ ip_equal: { [APP_KEY]: "10.0.0.1" } }), `statement[0].condition.ip_equal: operator ip_equal applies to "qcs:ip" only, not "${APP_KEY}"`],
  ["numeric condition value", withCondition({ string_equal: { [APP_KEY]: 1 } }), `statement[0].condition.string_equal["${APP_KEY}"]: must be a string or an array of strings, got a number`],
  ["empty condition values", withCondition({ string_equal: { [APP_KEY]: [] } }), `statement[0].condition.string_equal["${APP_KEY}"]: must not be an empty array`],
  ["non-string condition value", withCondition({ string_equal: { [APP_KEY]: ["a", 2] } }), `statement[0].condition.string_equal["${APP_KEY}"][1]: must be a string, got a number`],
  ["bad IPv4 address", withCondition({ ip_equal: { "qcs:ip": ["10.0.0.1", "10.0.0.256"] } }), 'statement[0].condition.ip_equal["qcs:ip"][1]: invalid IP address or CIDR block "10.0.0.256"'],
  ["IPv4 prefix over 32", withCondition({ ip_not_equal: { "qcs:ip": "10.0.0.0/33" } }), 'statement[0].condition.ip_not_equal["qcs:ip"]: invalid CIDR prefix in "10.0.0.0/33": must be an integer 0..32'],
  ["IPv6 prefix over 128", withCondition({ ip_equal: { "qcs:ip": ["::1/129"] } }), 'statement[0].condition.ip_equal["qcs:ip"][0]: invalid CIDR prefix in "::1/129": must be an integer 0..128'],
  ["empty prefix", withCondition({ ip_equal: { "qcs:ip": ["10.0.0.0/"] } }), 'statement[0].condition.ip_equal["qcs:ip"][0]: invalid CIDR prefix in "10.0.0.0/"'],
  ["padded prefix", withCondition({ ip_equal: { "qcs:ip": ["10.0.0.0/08"] } }), 'statement[0].condition.ip_equal["qcs:ip"][0]: invalid CIDR prefix in "10.0.0.0/08"'],
  ["IPv6 zone id", withCondition({ ip_equal: { "qcs:ip": ["fe80::1%eth0"] } }), 'statement[0].condition.ip_equal["qcs:ip"][0]: invalid IP address or CIDR block "fe80::1%eth0"'],
  ["host name as IP", withCondition({ ip_equal: { "qcs:ip": "localhost" } }), 'statement[0].condition.ip_equal["qcs:ip"]: invalid IP address or CIDR block "localhost"'],
  ["tag without &", withCondition({ string_equal: { "qcs:resource_tag": ["env&prod", "env"] } }), 'statement[0].condition.string_equal["qcs:resource_tag"][1]: invalid tag "env": expected "tagKey&tagValue"'],
  ["tag with empty key", withCondition({ string_like: { "qcs:resource_tag": "&prod" } }), 'statement[0].condition.string_like["qcs:resource_tag"]: invalid tag "&prod"'],
];

describe("parsePolicy rejects", () => {
  it.each(BAD)("%s", (_what, text, expected) => {
    const e = parseError(text);
    expect(e.code).toBe("InvalidParameterValue");
    expect(e.message.startsWith(expected), `message was: ${e.message}`).toBe(true);
  });

  it("cuts long offending values short in messages", () => {
    const e = parseError(withStatement({ ...ALLOW_ALL, effect: "x".repeat(500) }));
    expect(e.message.length).toBeLessThan(120);
  });
});

describe("wildcard matching", () => {
  /** Reference semantics as a regex (fine here: tiny inputs). */
  const reference = (pattern: string, questionMark: boolean) =>
    new RegExp(
      `^${[...pattern]
        .map((c) => (c === "*" ? ".*" : questionMark && c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("")}$`,
      "s",
    );

  it("agrees with the regex reference", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "b", "*", "?", ":"), maxLength: 8 }),
        fc.string({ unit: fc.constantFrom("a", "b", "?", ":", "*"), maxLength: 10 }),
        fc.boolean(),
        (pattern, text, questionMark) => {
          expect(compileGlob(pattern, questionMark)(text)).toBe(reference(pattern, questionMark).test(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("stays fast on a pattern that would make a backtracking regex explode", () => {
    const p = [
      policy({
        effect: "allow",
        action: "*",
        resource: "*",
        condition: { string_like: { [APP_KEY]: `${"*a".repeat(40)}*b` } },
      }),
    ];
    const started = performance.now();
    const r = req("kms:Encrypt", keyRes(), { [APP_KEY]: ["a".repeat(4000)] });
    expect(evaluate(p, r)).toBe("implicit-deny");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("properties", () => {
  const actionArb = fc.constantFrom("*", "kms:*", "kms:Get*", "kms:Encrypt", "kms:decrypt", "kmsadmin:*");
  const resourceArb = fc.constantFrom(
    "*",
    `qcs::kms:${REGION}:uin/${OWNER}:*`,
    `qcs::kms::uin/${OWNER}:key/*`,
    `qcs::kms:ap-beijing:uin/${OTHER}:key/creatorUin/*/k1`,
  );
  const conditionArb = fc.option(
    fc.constantFrom(
      { string_equal: { [APP_KEY]: "billing" } },
      { string_not_like: { [APP_KEY]: "test*" } },
      { ip_equal: { [IP_KEY]: ["10.0.0.0/8", "::1"] } },
      { ip_not_equal: { [IP_KEY]: "10.0.0.0/8" } },
      { string_like: { [RESOURCE_TAG_KEY]: "env&*" } },
    ),
    { nil: undefined },
  );
  const statementArb = (effects: readonly string[]) =>
    fc.record({
      effect: fc.constantFrom(...effects),
      action: fc.array(actionArb, { minLength: 1, maxLength: 3 }),
      resource: fc.array(resourceArb, { minLength: 1, maxLength: 2 }),
      condition: conditionArb,
    });
  const policiesArb = (effects: readonly string[]) =>
    fc.array(
      fc.array(statementArb(effects), { minLength: 1, maxLength: 4 }).map((s) => policy(...s)),
      { maxLength: 4 },
    );
  const requestArb = fc.record({
    action: fc.constantFrom("kms:Encrypt", "kms:GetKeyAttributes", "kms:ScheduleKeyDeletion", "kmsadmin:CreatePolicy"),
    resource: fc.constantFrom(
      keyRes(),
      keyRes("k1", OTHER, OTHER, "ap-beijing"),
      buildAccountResource(REGION, OWNER),
      buildAccountResource("ap-beijing", OTHER),
    ),
    context: fc
      .subarray([
        [APP_KEY, ["billing"]],
        [APP_KEY, ["test-1", "billing"]],
        [IP_KEY, ["10.1.1.1"]],
        [IP_KEY, ["::ffff:10.1.1.1"]],
        [IP_KEY, ["192.168.0.1"]],
        [RESOURCE_TAG_KEY, ["env&prod", "team&pay"]],
      ] as const)
      .map((entries) => new Map<string, readonly string[]>(entries)),
  });

  it("a deny-all statement anywhere makes every decision deny", () => {
    fc.assert(
      fc.property(policiesArb(["allow", "Deny", "ALLOW"]), fc.nat(), requestArb, (policies, at, r) => {
        const withDeny = [...policies];
        withDeny.splice(at % (policies.length + 1), 0, policy(DENY_ALL));
        expect(evaluate(withDeny, r)).toBe("deny");
      }),
    );
  });

  it("without deny statements the decision is never deny, and allow-all allows", () => {
    fc.assert(
      fc.property(policiesArb(["allow", "Allow"]), requestArb, (policies, r) => {
        expect(evaluate(policies, r)).not.toBe("deny");
        expect(evaluate([...policies, policy(ALLOW_ALL)], r)).toBe("allow");
      }),
    );
  });

  it("the order of policies does not matter", () => {
    fc.assert(
      fc.property(policiesArb(["allow", "deny"]), requestArb, (policies, r) => {
        expect(evaluate([...policies].reverse(), r)).toBe(evaluate(policies, r));
      }),
    );
  });

  it("an allow decision implies mayAllowAction", () => {
    fc.assert(
      fc.property(policiesArb(["allow", "deny"]), requestArb, (policies, r) => {
        if (evaluate(policies, r) === "allow") expect(mayAllowAction(policies, r.action)).toBe(true);
      }),
    );
  });
});
