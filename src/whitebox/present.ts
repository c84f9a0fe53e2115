/**
 * What callers see of a white-box key: WhiteboxKeyInfo with its table files.
 * The DecryptKey a caller receives is bound to the key's device fingerprints
 * whenever it has any (a fresh binding per answer), so no read of a bound key
 * hands out tables that open anywhere; CreateWhiteBoxKey's answer is unbound
 * because a new key has no devices yet.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { WhiteBoxAlgorithm as AlgorithmEnum, WhiteBoxKeyStatus as StatusEnum, type WhiteboxKeyInfoSchema } from "../../gen/kms/v1/whitebox_pb.js";
import { bindToFingerprints } from "../crypto/whitebox/index.js";
import type { WhiteBoxDeps } from "./deps.js";
import type { WhiteBoxAlgorithm, WhiteBoxKeyRecord, WhiteBoxKeyStatus } from "./key.js";

export const ALGORITHM_TO_ENUM: Readonly<Record<WhiteBoxAlgorithm, AlgorithmEnum>> = { AES_256: AlgorithmEnum.AES_256, SM4: AlgorithmEnum.SM4 };
const STATUS_TO_ENUM: Readonly<Record<WhiteBoxKeyStatus, StatusEnum>> = { Enabled: StatusEnum.ENABLED, Disabled: StatusEnum.DISABLED };

/** The algorithm an enum value names, or undefined for UNSPECIFIED and unknown numbers. */
export function algorithmOf(value: AlgorithmEnum): WhiteBoxAlgorithm | undefined {
  return (Object.keys(ALGORITHM_TO_ENUM) as WhiteBoxAlgorithm[]).find((a) => ALGORITHM_TO_ENUM[a] === value);
}

/** The DecryptKey a caller receives: bound to the key's devices when it has any. */
export async function deliveredDecryptTables(deps: WhiteBoxDeps, key: WhiteBoxKeyRecord): Promise<Uint8Array> {
  const tables = await deps.repo.material(key, "decrypt-tables");
  const devices = await deps.repo.fingerprints(key);
  return devices.length === 0 ? tables : bindToFingerprints(tables, devices.map((d) => d.identity));
}

/** WhiteboxKeyInfo of a key, with both table files. */
export async function keyInfo(deps: WhiteBoxDeps, key: WhiteBoxKeyRecord): Promise<MessageInitShape<typeof WhiteboxKeyInfoSchema>> {
  const [encryptKey, decryptKey] = await Promise.all([deps.repo.material(key, "encrypt-tables"), deliveredDecryptTables(deps, key)]);
  return {
    keyId: key.keyId,
    alias: key.alias,
    creatorUin: BigInt(key.creatorUin),
    description: key.description,
    createTime: BigInt(Math.floor(key.createTime / 1000)),
    status: STATUS_TO_ENUM[key.status],
    ownerUin: BigInt(key.account),
    algorithm: ALGORITHM_TO_ENUM[key.algorithm],
    encryptKey,
    decryptKey,
    resourceId: `creatorUin/${key.creatorUin}/${key.keyId}`,
    deviceFingerprintBind: key.fingerprintCount > 0,
  };
}
