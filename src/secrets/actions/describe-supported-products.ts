import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeSupportedProductsRequest, DescribeSupportedProductsResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";

/** DescribeSupportedProducts: the products a product secret can be made for (the product registry). */
export async function describeSupportedProducts(
  deps: SecretsDeps,
  _req: DescribeSupportedProductsRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof DescribeSupportedProductsResponseSchema>> {
  const products = deps.products.productNames;
  return { products, totalCount: products.length };
}
