import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { envLookup } from '../config/environment';
import { pipelineFactory } from '../dagster/pipeline-loader';
import { computeLogTargetFromInstanceRef, LocalStepLogCapture, S3StepLogCapture } from '../dagster/compute-logs';
import { RUN_ARGS_ENV, RunManager } from '../dagster/run-launcher';
import { expectClass, readObject, str } from '../dagster/serdes';
import { openInstanceStorage, storageTargetFromInstanceRef } from '../dagster/storage/instance-storage';
import { CliError, type CliCommand } from './command';

/**
 * `bandit dagster api execute_run <serialized ExecuteRunArgs>`: what a run pod started by
 * Dagster's K8sRunLauncher executes (`entry_point + ["api", "execute_run", args]`). Runs the
 * run to the end in this process and writes its events to the instance's storage, each
 * step's stdout / stderr to the instance's compute-log storage. `bandit code-server` starts
 * every run this way too, as a process of its own.
 */
// Where the code server hands a run worker its ExecuteRunArgs: the environment (readable by
// the same user only) rather than the command line, which every user can list and which would
// show the instance's storage credentials.
export { RUN_ARGS_ENV };

export const dagsterCommand: CliCommand = {
  register(program: Command) {
    const dagster = program.command('dagster').description('Dagster run-worker commands (invoked by Dagster run launchers)');
    const api = dagster.command('api').description("Dagster's user-code API commands");
    api
      .command('execute_run')
      .description('execute a Dagster run of the pipeline from serialized ExecuteRunArgs')
      .argument('<args>', `serialized ExecuteRunArgs (Dagster serdes JSON), or - to read them from ${RUN_ARGS_ENV}`)
      .option('--run-id <id>', 'the run id (informational: shown in process listings when the args come from the environment)')
      .action(async (arg: string) => {
        const input = arg === '-' ? envLookup(RUN_ARGS_ENV) : arg;
        if (input === undefined || input === '') throw new CliError(`execute_run -: ${RUN_ARGS_ENV} is not set`);
        let args;
        try {
          args = readObject(input, ['ExecuteRunArgs'], 'ExecuteRunArgs');
          // a run launcher's PipelinePythonOrigin, or the code server's ExternalPipelineOrigin
          expectClass(args.pipeline_origin, ['PipelinePythonOrigin', 'ExternalPipelineOrigin'], 'ExecuteRunArgs.pipeline_origin');
        } catch (err) {
          throw new CliError((err as Error).message);
        }
        const runId = str(args, 'pipeline_run_id', 'ExecuteRunArgs');
        if (!args.instance_ref) throw new CliError('ExecuteRunArgs.instance_ref is required');
        const config = loadConfig();
        const ref = expectClass(args.instance_ref, ['InstanceRef'], 'instance_ref');
        const target = storageTargetFromInstanceRef(ref, envLookup);
        const logs = computeLogTargetFromInstanceRef(ref, envLookup);
        const capture = logs.kind === 'local' ? new LocalStepLogCapture(logs.baseDir, runId) : logs.kind === 's3' ? new S3StepLogCapture(logs, runId) : undefined;
        if (logs.kind === 'none') process.stderr.write(`step stdout/stderr not captured: ${logs.reason}\n`);
        const log = { info: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`ERROR ${m}\n`) };
        const runs = new RunManager({ pipeline: pipelineFactory(config), env: envLookup, log });
        const abort = new AbortController();
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort(new Error(`received ${sig}`)));
        let startError: unknown;
        await runs.execute(runId, target, abort.signal, (err) => (startError = err), capture);
        if (startError !== undefined) throw new CliError(`run ${runId} could not start: ${(startError as Error).message}`, 1);
        if (args.set_exit_code_on_failure === true) {
          const storage = await openInstanceStorage(target);
          const run = await storage.getRun(runId);
          await storage.close();
          if (run?.status !== 'SUCCESS') process.exitCode = 1;
        }
        // the run has ended: work a canceled step left behind ends with the process
        if (abort.signal.aborted) process.exit();
      });
  },
};
