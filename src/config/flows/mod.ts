/**
 * Loading flows: a stack's `flows:` section, Conducktor's flow files and Petit's job directories,
 * with the stack they run beside.
 *
 * @module
 */
export { loadProject, type Project } from "./load.ts";
