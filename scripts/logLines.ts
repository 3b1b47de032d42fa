/**
 * How `npm start` shows its children's log lines: JSON lines as they are
 * when stdout is a file or a pipe (for a log collector), and readable
 * (pino-pretty) when it is a terminal. Chunks are cut into whole lines per child.
 */
import { prettyFactory } from "pino-pretty";

export function createLogLineWriter(out: NodeJS.WriteStream): (child: string, chunk: string) => void {
  const pretty = out.isTTY ? prettyFactory({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }) : null;
  const partial = new Map<string, string>();
  return (child, chunk) => {
    const lines = ((partial.get(child) ?? "") + chunk).split("\n");
    partial.set(child, lines.pop()!);
    for (const line of lines) {
      if (line === "") continue;
      if (!pretty || !line.startsWith("{")) out.write(`${line}\n`);
      else out.write(pretty(line));
    }
  };
}
