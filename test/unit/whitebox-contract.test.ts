/**
 * The white-box contract against the official SDK (kms_models.d.ts): every
 * request and response of the 13 actions, WhiteboxKeyInfo and
 * DeviceFingerprint carry exactly the SDK's fields under its names, and the
 * gateway's required fields are exactly the SDK's non-optional ones.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DescMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DeviceFingerprintSchema, WhiteboxKeyInfoSchema, WhiteBoxKeyService } from "../../gen/kms/v1/whitebox_pb.js";
import { WHITEBOX_API } from "../../src/contract/whitebox-api.js";

interface SdkField {
  name: string;
  optional: boolean;
}

const require = createRequire(import.meta.url);
const dts = readFileSync(require.resolve("tencentcloud-sdk-nodejs/tencentcloud/services/kms/v20190118/kms_models.d.ts"), "utf8");
const sdk = new Map<string, SdkField[]>();
for (const [, name, body] of dts.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g))
  sdk.set(name!, [...body!.matchAll(/^\s{4}(\w+)(\??):/gm)].map(([, field, opt]) => ({ name: field!, optional: opt === "?" })));
for (const [, name] of dts.matchAll(/export type (\w+) = null;/g)) sdk.set(name!, []);

const apiFields = (m: DescMessage) => m.fields.map((f) => f.jsonName).sort();
const sdkFields = (name: string) => {
  const fields = sdk.get(name);
  if (!fields) throw new Error(`the SDK declares no ${name}`);
  return fields.filter((f) => f.name !== "RequestId");
};

describe("WhiteBoxKeyService against kms_models.d.ts", () => {
  it("offers the SDK's 13 white-box actions, and only those", () => {
    const clientDts = readFileSync(require.resolve("tencentcloud-sdk-nodejs/tencentcloud/services/kms/v20190118/kms_client.d.ts"), "utf8");
    const sdkActions = [...clientDts.matchAll(/^\s{4}(\w*WhiteBox\w*)\(/gm)].map(([, a]) => a!).sort();
    expect(sdkActions).toHaveLength(13);
    expect(WhiteBoxKeyService.methods.map((m) => m.name).sort()).toEqual(sdkActions);
  });

  for (const method of WhiteBoxKeyService.methods) {
    it(`${method.name}: request and response fields as the SDK names them; required = the SDK's non-optional`, () => {
      expect(apiFields(method.input)).toEqual(sdkFields(`${method.name}Request`).map((f) => f.name).sort());
      expect(apiFields(method.output)).toEqual(sdkFields(`${method.name}Response`).map((f) => f.name).sort());
      const required = sdkFields(`${method.name}Request`).filter((f) => !f.optional).map((f) => f.name).sort();
      expect([...(WHITEBOX_API.required[method.input.typeName] ?? ["(absent)"])].sort()).toEqual(required);
    });
  }

  it("WhiteboxKeyInfo, DeviceFingerprint, Tag and TagFilter match, with their required fields", () => {
    expect(apiFields(WhiteboxKeyInfoSchema)).toEqual(sdkFields("WhiteboxKeyInfo").map((f) => f.name).sort());
    expect(apiFields(DeviceFingerprintSchema)).toEqual(sdkFields("DeviceFingerprint").map((f) => f.name).sort());
    for (const name of ["DeviceFingerprint", "Tag", "TagFilter"])
      expect([...(WHITEBOX_API.required[`kms.v1.${name}`] ?? [])].sort(), name).toEqual(sdkFields(name).filter((f) => !f.optional).map((f) => f.name).sort());
  });

  it("shares KMS's API version and product", () => {
    expect({ version: WHITEBOX_API.version, product: WHITEBOX_API.product }).toEqual({ version: "2019-01-18", product: "kms" });
  });
});
