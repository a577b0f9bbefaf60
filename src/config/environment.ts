/**
 * The process environment for what is not configuration: values one process hands another
 * (a run worker's ExecuteRunArgs) and names a Dagster instance's settings refer to
 * (`{env: NAME}`), known only at run time. Configuration is read by `loadConfig` from the
 * variables declared in ./spec.ts; apart from it, only this file touches `process.env`.
 */

/** The value of an environment variable named at run time (undefined when unset). */
export function envLookup(name: string): string | undefined {
  return process.env[name];
}

/** A copy of this process's environment, to start a child process with. */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env };
}
