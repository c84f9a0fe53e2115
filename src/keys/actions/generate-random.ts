import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GenerateRandomRequest, GenerateRandomResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { assertNumberOfBytes } from "../validate.js";

/** GenerateRandom: 1 to 1024 bytes from the OS CSPRNG. */
export async function generateRandom(deps: KmsDeps, req: GenerateRandomRequest, _call: CallContext): Promise<MessageInitShape<typeof GenerateRandomResponseSchema>> {
  assertNumberOfBytes(req.numberOfBytes);
  return { plaintext: deps.random(req.numberOfBytes) };
}
