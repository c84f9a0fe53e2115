/** How a service is offered through the API 3.0 gateway: data, registered with the service (src/pipeline/routes.ts). */

/** Parameters the SDK declares non-optional, by message type name: absent ones answer MissingParameter. */
export type RequiredFields = Readonly<Record<string, readonly string[]>>;

export interface ApiExposure {
  /** X-TC-Version, e.g. "2019-01-18". */
  version: string;
  /** The product's service name, as signed in the credential scope: "kms", "ssm". */
  product: string;
  required: RequiredFields;
}
