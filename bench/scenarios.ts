/**
 * The scenarios: one request each (protobuf for gRPC and Connect, JSON
 * parameters for API 3.0), built against keys and a secret made by `setup`
 * through a real client (connect-es over gRPC). CreateKey needs a fresh alias per request, so
 * it carries a per-request builder and runs on the lean Node driver.
 */
import { create, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { BatchCryptoService } from "../gen/kms/v1/batch_pb.js";
import { DataKeyService } from "../gen/kms/v1/datakeys_pb.js";
import { DataKeySpec, KeyManagementService, KeyUsage, MessageType } from "../gen/kms/v1/kms_pb.js";
import { SecretsManagerService } from "../gen/ssm/v1/ssm_pb.js";
import type { Primitive } from "./ceilings.js";
import { KMS_PRODUCT, SSM_PRODUCT, type ApiProduct } from "./wire.js";

export type Kind = "symmetric" | "asymmetric" | "create" | "read" | "populate";
type Method = DescMethodUnary<DescMessage, DescMessage>;
type ApiParams = Record<string, string | number>;

export interface Scenario {
  name: string;
  /** Letters, digits and dashes: names the canned echo responses. */
  id: string;
  kind: Kind;
  method: Method;
  /** Protobuf of the request (gRPC and Connect bodies). */
  request: Uint8Array;
  /** API 3.0 action and parameters, and the product (version, signed service) they belong to. */
  action: string;
  api: ApiParams;
  product: ApiProduct;
  /** The raw primitive that bounds it, if any. */
  primitive?: Primitive;
  /** Requests in flight, when not the configured concurrency. */
  concurrency?: number;
  /** Every request must differ: builds the next one. */
  unique?: () => { request: Uint8Array; api: ApiParams };
  /** Also run over Connect and API 3.0 in short mode. */
  everyProtocolInShortMode?: boolean;
  /** Its ratio to the echo is one of the README's targets: measured in BENCH_ROUNDS interleaved rounds. */
  target?: true;
  /** Not offered through API 3.0 (gRPC-only services such as BatchCryptoService). */
  rpcOnly?: boolean;
  /** Operations one request carries (a batch), for items per second. */
  itemsPerRequest?: number;
}

function scenario<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  init: MessageInitShape<I>,
  rest: Omit<Scenario, "method" | "request" | "action" | "product"> & { product?: ApiProduct },
): Scenario {
  return { product: KMS_PRODUCT, ...rest, method: method as unknown as Method, request: toBinary(method.input, create(method.input, init)), action: method.name };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

export interface Fixture {
  symmetricKeyId: string;
  otherKeyId: string;
  /** Ciphertext of 32 bytes under symmetricKeyId. */
  blob: Uint8Array;
  signing: Record<"ecc" | "rsa" | "sm2", { keyId: string; algorithm: string; signature: Uint8Array }>;
  /** A secret whose version "v1" holds 32 characters, encrypted under symmetricKeyId; none on a build without secrets (bench/ab on an older build). */
  secretName: string | undefined;
}

export const MESSAGE = Buffer.alloc(32, 7);
const PLAINTEXT_32 = Buffer.alloc(32, 1);
const PLAINTEXT_4K = Buffer.alloc(4096, 2);
/** Items per BatchEncrypt request: its items per second are compared with single Encrypt calls. */
export const BATCH_ITEMS = 100;

/** The value of the benchmark's secret: as long as the ciphertext Decrypt opens. */
export const SECRET_VALUE = "b".repeat(32);

async function createSecret(transport: Transport, secretName: string, kmsKeyId: string): Promise<string | undefined> {
  try {
    await createClient(SecretsManagerService, transport).createSecret({ secretName, versionId: "v1", secretString: SECRET_VALUE, kmsKeyId });
    return secretName;
  } catch (err) {
    if (ConnectError.from(err).code === Code.Unimplemented) return undefined;
    throw err;
  }
}

/** Creates the keys, blobs and secret the scenarios use, through a real gRPC client. */
export async function setup(transport: Transport, runId: string): Promise<Fixture> {
  const kms: Client<typeof KeyManagementService> = createClient(KeyManagementService, transport);
  const key = await kms.createKey({ alias: `bench-sym-${runId}` });
  const secretName = await createSecret(transport, `bench-secret-${runId}`, key.keyId);
  const other = await kms.createKey({ alias: `bench-dst-${runId}` });
  const { ciphertextBlob } = await kms.encrypt({ keyId: key.keyId, plaintext: PLAINTEXT_32 });
  const signer = async (usage: KeyUsage, algorithm: string, tag: string) => {
    const k = await kms.createKey({ alias: `bench-${tag}-${runId}`, keyUsage: usage });
    const { signature } = await kms.signByAsymmetricKey({ keyId: k.keyId, algorithm, message: MESSAGE, messageType: MessageType.RAW });
    return { keyId: k.keyId, algorithm, signature };
  };
  return {
    symmetricKeyId: key.keyId,
    otherKeyId: other.keyId,
    blob: ciphertextBlob,
    signing: {
      ecc: await signer(KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC, "ECC_P256_R1", "ecc"),
      rsa: await signer(KeyUsage.ASYMMETRIC_SIGN_VERIFY_RSA_2048, "RSA_PSS_SHA_256", "rsa"),
      sm2: await signer(KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2, "SM2DSA", "sm2"),
    },
    secretName,
  };
}

export function scenarios(f: Fixture, runId: string): Scenario[] {
  const m = KeyManagementService.method;
  const list: Scenario[] = [
    scenario(m.encrypt, { keyId: f.symmetricKeyId, plaintext: PLAINTEXT_32 }, {
      name: "Encrypt 32 B", id: "encrypt-32", kind: "symmetric", primitive: "aes-gcm-seal-32", everyProtocolInShortMode: true, target: true,
      api: { KeyId: f.symmetricKeyId, Plaintext: b64(PLAINTEXT_32) },
    }),
    scenario(m.encrypt, { keyId: f.symmetricKeyId, plaintext: PLAINTEXT_4K }, {
      name: "Encrypt 4 KiB", id: "encrypt-4k", kind: "symmetric", primitive: "aes-gcm-seal-4096",
      api: { KeyId: f.symmetricKeyId, Plaintext: b64(PLAINTEXT_4K) },
    }),
    scenario(m.decrypt, { ciphertextBlob: f.blob }, {
      name: "Decrypt 32 B", id: "decrypt-32", kind: "symmetric", primitive: "aes-gcm-open-32", target: true,
      api: { CiphertextBlob: b64(f.blob) },
    }),
    // A secret read: the same AES-GCM open as Decrypt, plus the secret's record and sealed value from the store.
    ...(f.secretName === undefined
      ? []
      : [
          scenario(SecretsManagerService.method.getSecretValue, { secretName: f.secretName, versionId: "v1" }, {
            name: "GetSecretValue 32 B", id: "get-secret-32", kind: "symmetric", primitive: "aes-gcm-open-32", everyProtocolInShortMode: true,
            api: { SecretName: f.secretName, VersionId: "v1" }, product: SSM_PRODUCT,
          }),
        ]),
    scenario(m.generateDataKey, { keyId: f.symmetricKeyId, keySpec: DataKeySpec.AES_256 }, {
      name: "GenerateDataKey", id: "gdk", kind: "symmetric", primitive: "aes-gcm-seal-32", target: true,
      api: { KeyId: f.symmetricKeyId, KeySpec: "AES_256" },
    }),
    scenario(m.reEncrypt, { ciphertextBlob: f.blob, destinationKeyId: f.otherKeyId }, {
      name: "ReEncrypt", id: "reencrypt", kind: "symmetric", primitive: "aes-gcm-open-seal-32",
      api: { CiphertextBlob: b64(f.blob), DestinationKeyId: f.otherKeyId },
    }),
    scenario(BatchCryptoService.method.batchEncrypt, { items: Array.from({ length: BATCH_ITEMS }, () => ({ keyId: f.symmetricKeyId, plaintext: PLAINTEXT_32 })) }, {
      name: `BatchEncrypt ${BATCH_ITEMS} × 32 B`, id: "batch-encrypt", kind: "symmetric", rpcOnly: true, itemsPerRequest: BATCH_ITEMS,
      api: {},
    }),
  ];
  for (const [tag, label] of [["ecc", "ECC"], ["rsa", "RSA"], ["sm2", "SM2"]] as const) {
    const s = f.signing[tag];
    list.push(
      scenario(m.signByAsymmetricKey, { keyId: s.keyId, algorithm: s.algorithm, message: MESSAGE, messageType: MessageType.RAW }, {
        name: `Sign ${label}`, id: `sign-${tag}`, kind: "asymmetric", primitive: `${tag}-sign`, everyProtocolInShortMode: tag === "ecc",
        api: { KeyId: s.keyId, Algorithm: s.algorithm, Message: b64(MESSAGE), MessageType: "RAW" },
      }),
      scenario(m.verifyByAsymmetricKey, { keyId: s.keyId, algorithm: s.algorithm, message: MESSAGE, signatureValue: s.signature, messageType: MessageType.RAW }, {
        name: `Verify ${label}`, id: `verify-${tag}`, kind: "asymmetric", primitive: `${tag}-verify`,
        api: { KeyId: s.keyId, Algorithm: s.algorithm, Message: b64(MESSAGE), SignatureValue: b64(s.signature), MessageType: "RAW" },
      }),
    );
  }
  let serial = 0;
  const freshAlias = () => `bench-new-${runId}-${serial++}`;
  list.push(
    scenario(m.createKey, { alias: `bench-new-${runId}` }, {
      name: "CreateKey (durable)", id: "create-key", kind: "create", everyProtocolInShortMode: true,
      api: { Alias: `bench-new-${runId}` },
      unique: () => {
        const alias = freshAlias();
        return { request: toBinary(m.createKey.input, create(m.createKey.input, { alias })), api: { Alias: alias } };
      },
    }),
    scenario(m.describeKey, { keyId: f.symmetricKeyId }, {
      name: "DescribeKey", id: "describe", kind: "read", everyProtocolInShortMode: true,
      api: { KeyId: f.symmetricKeyId },
    }),
    scenario(m.describeKey, { keyId: f.symmetricKeyId }, {
      name: "DescribeKey, 1 in flight", id: "describe-c1", kind: "read", concurrency: 1,
      api: { KeyId: f.symmetricKeyId },
    }),
    scenario(m.listKeyDetail, { limit: 100 }, {
      name: "ListKeyDetail 100, 1 in flight", id: "list-100", kind: "read", concurrency: 1,
      api: { Limit: 100 },
    }),
    // A page of hosted data keys under two filters, so every data key's packed code is read to count the matches
    // (a state filter alone is answered from kept counts and stops at a full page).
    scenario(DataKeyService.method.listDataKeyDetail, { limit: 100, keyState: 1, origin: "EXTERNAL" }, {
      name: "ListDataKeyDetail 100, 1 in flight", id: "list-datakeys-100", kind: "read", concurrency: 1,
      api: { Limit: 100, KeyState: 1, Origin: "EXTERNAL" },
    }),
  );
  return list;
}

/**
 * ImportDataKey (ImportType 2) under the fixture's CMK with a fresh name per
 * request: fills the store with hosted data keys. Not measured, only run.
 */
export function dataKeyFiller(f: Fixture, runId: string): Scenario {
  const method = DataKeyService.method.importDataKey;
  const material = Buffer.alloc(32, 3);
  let serial = 0;
  const next = () => {
    const dataKeyName = `bench-dk-${runId}-${serial++}`;
    return {
      request: toBinary(method.input, create(method.input, { dataKeyName, importType: 2, importKeyMaterial: material, keyId: f.symmetricKeyId })),
      api: { DataKeyName: dataKeyName, ImportType: 2, ImportKeyMaterial: b64(material), KeyId: f.symmetricKeyId },
    };
  };
  return { ...scenario(method, { dataKeyName: `bench-dk-${runId}`, importType: 2, importKeyMaterial: material, keyId: f.symmetricKeyId }, {
    name: "ImportDataKey (populate)", id: "import-datakey", kind: "populate", api: {},
  }), unique: next };
}
