/** What a CLI command may touch: its output streams. Tests inject their own. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is an interactive terminal (progress bars) or not (periodic lines). */
  isTTY: boolean;
}

/** A subcommand of `cosrank`. `run` returns the process exit code; it never calls process.exit. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text: usage line, options with defaults. */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A usage error: wrong or missing arguments (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The real process streams. */
export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};
