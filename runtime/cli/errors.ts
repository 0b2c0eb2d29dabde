// An error meant for the user: printed as one line (no stack) and mapped to an exit code.
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Reports an error that ended a command: one meant for the user (a CliError, or any error that
 * names its exit code, e.g. a subsystem's start or tool error) as one line without a stack, any
 * other with its stack and exit code 1.
 */
export function reportError(err: unknown): void {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  if (err instanceof CliError || (err instanceof Error && typeof code === 'number')) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = code as number;
    return;
  }
  process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
}

/** Runs a command's work and reports the error that ends it (reportError). */
export async function reportErrors(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    reportError(err);
  }
}
