// The docker CLI, as the image check drives it: each call returns its stdout
// and fails with the command and its stderr.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${(stderr || stdout || String(err)).trim()}`);
  }
}

/** `docker inspect -f FORMAT` of a container. */
export const inspect = (container: string, format: string) => docker('inspect', '-f', format, container);

/** The container's logs (stdout and stderr), for a failure's message. */
export async function logsOf(container: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker', ['logs', '--tail', '80', container], { maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch {
    return '(no logs)';
  }
}

/** Removes containers and volumes, ignoring those already gone. */
export async function removeAll(containers: readonly string[], volumes: readonly string[]): Promise<void> {
  for (const c of containers) await docker('rm', '-f', '-v', c).catch(() => undefined);
  for (const v of volumes) await docker('volume', 'rm', '-f', v).catch(() => undefined);
}
