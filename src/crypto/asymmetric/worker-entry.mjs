// Worker bootstrap: Node 20 does not apply the tsx loader inside worker threads, so load the TypeScript worker through tsx's API.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
