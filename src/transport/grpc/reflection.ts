/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, protos in
 * proto/grpc/reflection/), so grpcurl, buf curl, Postman or Kreya can list the
 * services and call them without proto files. Answers come from the file
 * descriptors protoc-gen-es embeds in gen/ (each DescFile keeps its
 * FileDescriptorProto), so what reflection describes is what the server
 * decodes.
 *
 * The two versions are the same messages under two package names, identical on
 * the wire, so one implementation over the v1 schemas serves both paths.
 */
import { create, fromBinary, toBinary, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { GrpcStatus, KmsError } from "../../errors.js";

export const REFLECTION_PATHS = [
  `/${ServerReflection.typeName}/${ServerReflection.method.serverReflectionInfo.name}`,
  `/${ServerReflectionV1Alpha.typeName}/${ServerReflectionV1Alpha.method.serverReflectionInfo.name}`,
] as const;

/** Services every server here offers besides the registered ones. */
export const BUILTIN_SERVICES: readonly DescService[] = [Health, ServerReflection, ServerReflectionV1Alpha];

type MessageResponse = ServerReflectionResponse["messageResponse"];

/** Every file the served services need, every symbol they declare, and each file's encoded descriptor. */
export class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  /** "<extendee>#<number>" → the file declaring that extension. */
  private readonly extensions = new Map<string, DescFile>();
  private readonly encoded = new Map<DescFile, Uint8Array>();
  readonly serviceNames: readonly string[];

  constructor(services: readonly DescService[]) {
    const names = new Set<string>();
    for (const service of services) {
      names.add(service.typeName);
      this.addFile(service.file);
    }
    this.serviceNames = [...names].sort();
  }

  private addFile(file: DescFile): void {
    const name = file.proto.name;
    if (this.files.has(name)) return;
    this.files.set(name, file);
    this.encoded.set(file, toBinary(FileDescriptorProtoSchema, file.proto));
    for (const s of file.services) {
      this.symbols.set(s.typeName, file);
      for (const m of s.methods) this.symbols.set(`${s.typeName}.${m.name}`, file);
    }
    for (const e of file.enums) this.addEnum(e.typeName, e.values.map((v) => v.name), file);
    for (const m of file.messages) this.addMessage(m, file);
    for (const x of file.extensions) this.addExtension(x.typeName, x.extendee.typeName, x.number, file);
    for (const dep of file.dependencies) this.addFile(dep);
  }

  private addEnum(typeName: string, values: readonly string[], file: DescFile): void {
    this.symbols.set(typeName, file);
    // Enum values are scoped beside their enum (C++ rules), not inside it.
    const scope = typeName.slice(0, typeName.lastIndexOf(".") + 1);
    for (const v of values) this.symbols.set(`${scope}${v}`, file);
  }

  private addMessage(m: DescMessage, file: DescFile): void {
    this.symbols.set(m.typeName, file);
    for (const f of m.fields) this.symbols.set(`${m.typeName}.${f.name}`, file);
    for (const o of m.oneofs) this.symbols.set(`${m.typeName}.${o.name}`, file);
    for (const n of m.nestedMessages) this.addMessage(n, file);
    for (const e of m.nestedEnums) this.addEnum(e.typeName, e.values.map((v) => v.name), file);
    for (const x of m.nestedExtensions) this.addExtension(x.typeName, x.extendee.typeName, x.number, file);
  }

  private addExtension(typeName: string, extendee: string, number: number, file: DescFile): void {
    this.symbols.set(typeName, file);
    this.extensions.set(`${extendee}#${number}`, file);
  }

  file(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  fileOfSymbol(symbol: string): DescFile | undefined {
    return this.symbols.get(symbol);
  }

  fileOfExtension(extendee: string, number: number): DescFile | undefined {
    return this.extensions.get(`${extendee}#${number}`);
  }

  /** The extension numbers of a message type, or undefined when no served file declares the type. */
  extensionNumbers(typeName: string): number[] | undefined {
    const file = this.symbols.get(typeName);
    if (!file || !this.isMessage(file, typeName)) return undefined;
    const prefix = `${typeName}#`;
    return [...this.extensions.keys()].filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length)));
  }

  private isMessage(file: DescFile, typeName: string): boolean {
    const walk = (ms: readonly DescMessage[]): boolean => ms.some((m) => m.typeName === typeName || walk(m.nestedMessages));
    return walk(file.messages);
  }

  encodedFile(file: DescFile): Uint8Array {
    return this.encoded.get(file) as Uint8Array;
  }
}

/**
 * One reflection stream: answers each request in turn. A file's transitive
 * dependencies go out with it once per stream (the standard lets a server skip
 * what the stream already received); the file asked for always goes out.
 */
export class ReflectionSession {
  private readonly sent = new Set<DescFile>();

  constructor(private readonly index: DescriptorIndex) {}

  /** The encoded answer to one encoded request; a request that is no reflection request at all ends the stream (throws). */
  answer(bytes: Uint8Array): Uint8Array {
    let request: ServerReflectionRequest;
    try {
      request = fromBinary(ServerReflectionRequestSchema, bytes);
    } catch {
      throw new KmsError("InvalidParameter", "the request is not a valid ServerReflectionRequest");
    }
    const response = create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse: this.respond(request) });
    return toBinary(ServerReflectionResponseSchema, response);
  }

  private respond(request: ServerReflectionRequest): MessageResponse {
    const r = request.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { $typeName: "grpc.reflection.v1.ListServiceResponse", service: this.index.serviceNames.map((name) => ({ $typeName: "grpc.reflection.v1.ServiceResponse" as const, name })) } };
      case "fileByFilename":
        return this.files(this.index.file(r.value), `file ${r.value.slice(0, 200)} not found`);
      case "fileContainingSymbol":
        return this.files(this.index.fileOfSymbol(r.value), `symbol ${r.value.slice(0, 200)} not found`);
      case "fileContainingExtension":
        return this.files(this.index.fileOfExtension(r.value.containingType, r.value.extensionNumber), `extension ${r.value.extensionNumber} of ${r.value.containingType.slice(0, 200)} not found`);
      case "allExtensionNumbersOfType": {
        const numbers = this.index.extensionNumbers(r.value);
        if (!numbers) return notFound(`type ${r.value.slice(0, 200)} not found`);
        return { case: "allExtensionNumbersResponse", value: { $typeName: "grpc.reflection.v1.ExtensionNumberResponse", baseTypeName: r.value, extensionNumber: numbers } };
      }
      default:
        throw new KmsError("InvalidParameter", "the ServerReflectionRequest names no request");
    }
  }

  private files(file: DescFile | undefined, missing: string): MessageResponse {
    if (!file) return notFound(missing);
    const out: Uint8Array[] = [this.index.encodedFile(file)];
    this.sent.add(file);
    const queue = [...file.dependencies];
    while (queue.length > 0) {
      const dep = queue.shift() as DescFile;
      if (this.sent.has(dep)) continue;
      this.sent.add(dep);
      out.push(this.index.encodedFile(dep));
      queue.push(...dep.dependencies);
    }
    return { case: "fileDescriptorResponse", value: { $typeName: "grpc.reflection.v1.FileDescriptorResponse", fileDescriptorProto: out } };
  }
}

/** The standard's in-stream error: the stream goes on. */
function notFound(message: string): MessageResponse {
  return { case: "errorResponse", value: { $typeName: "grpc.reflection.v1.ErrorResponse", errorCode: GrpcStatus.NotFound, errorMessage: message } };
}
