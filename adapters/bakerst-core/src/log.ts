/** One JSON line on stderr per warning (the brain logs pino JSON lines; these sit beside them). */
export function warn(msg: string, fields: Record<string, unknown> = {}): void {
  try {
    process.stderr.write(`${JSON.stringify({ level: 'warn', module: 'bakerst-hooks', msg, ...fields })}\n`);
  } catch {
    // logging must never break the caller
  }
}
