/** Output streams for a command, replaceable in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when output goes to a terminal (progress bars are drawn only then). */
  readonly interactive?: boolean;
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: Boolean(process.stdout.isTTY),
};
