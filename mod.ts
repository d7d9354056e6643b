/**
 * orch as a library (`@orch/cli/lib`; the package's default export is the CLI): load and validate
 * stacks, and the model they produce.
 *
 * @example
 * ```ts ignore
 * import { loadStack } from "@orch/cli/lib";
 * const { stack } = await loadStack(["stack.yaml"]);
 * console.log(Object.keys(stack.services));
 * ```
 *
 * @module
 */
export { DEFAULT_FILES, loadStack } from "./src/config/load.ts";
export type { Loaded, LoadOptions } from "./src/config/load.ts";
export type * from "./src/domain/model.ts";
export { ConfigError, OrchError } from "./src/domain/errors.ts";
export type { ConfigIssue } from "./src/domain/errors.ts";
export { VERSION } from "./src/version.ts";
